package dev.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.gatehouse.client.GatehouseClientException.Kind;
import dev.gatehouse.client.TokenCheck.Reason;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link OfflineTokenVerifier} against a fake room's JWKS, on a clock the test moves: which tokens
 * it accepts, why it refuses the others, when it fetches the keys, and what a broken key set does.
 */
@Timeout(30)
class OfflineTokenVerifierTest {

    private static final String TENANT = "key-0123456789abcdef";
    private static final String JWKS = "/.well-known/jwks.json";
    private static final long NOW_SECONDS = 1_800_000_000L;

    /** RFC 8037's example key (A.1), whose thumbprint (A.3) is its kid here. */
    private static final TestKey KEY = TestKey.fromSeed(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");

    private final FakeServer room = new FakeServer();
    private final CountDownLatch end = new CountDownLatch(1);
    private final AtomicLong nowMillis = new AtomicLong(NOW_SECONDS * 1000);
    private final InstantSource clock = () -> Instant.ofEpochMilli(nowMillis.get());
    private final List<OfflineTokenVerifier> verifiers = new ArrayList<>();

    private OfflineTokenVerifier verifier() {
        return verifier(OfflineTokenVerifier.builder(room.url(), TENANT));
    }

    private OfflineTokenVerifier verifier(OfflineTokenVerifier.Builder builder) {
        OfflineTokenVerifier verifier =
                builder.clock(clock).requestTimeout(Duration.ofMillis(500)).build();
        verifiers.add(verifier);
        return verifier;
    }

    @AfterEach
    void stop() {
        end.countDown();
        verifiers.forEach(OfflineTokenVerifier::close);
        room.close();
    }

    // --- accepted

    @Test
    void anAuthenticTokenOfTheRoom_isAcceptedWithItsUserAndExpiry_afterOneFetch() {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();

        for (String user : List.of("alice", "bob", "zoë")) {
            assertThat(verifier.verify(KEY.token(claims(user, TENANT, NOW_SECONDS + 60))))
                    .isEqualTo(
                            new TokenCheck.Accepted(user, Instant.ofEpochSecond(NOW_SECONDS + 60), Optional.empty()));
        }
        assertThat(room.count(JWKS)).isEqualTo(1);
        assertThat(room.requests().get(0).header("Accept")).contains("application/json");
    }

    /** A ready user's pass (the room's {@code rdy} claim) says until when; a queued user's token says nothing. */
    @Test
    void aReadyUsersPass_isAcceptedAsReady_andAMalformedReadyClaimIsRefused() {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();
        String pass = KEY.token("{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"iat\":" + NOW_SECONDS + ",\"exp\":"
                + (NOW_SECONDS + 30) + ",\"rdy\":" + (NOW_SECONDS + 30) + "}");

        TokenCheck check = verifier.verify(pass);

        assertThat(check)
                .isEqualTo(new TokenCheck.Accepted(
                        "alice",
                        Instant.ofEpochSecond(NOW_SECONDS + 30),
                        Optional.of(Instant.ofEpochSecond(NOW_SECONDS + 30))));
        assertThat(((TokenCheck.Accepted) check).ready()).isTrue();
        assertThat(((TokenCheck.Accepted) verifier.verify(KEY.token(claims("bob", TENANT, NOW_SECONDS + 60)))).ready())
                .isFalse();
        nowMillis.set((NOW_SECONDS + 32) * 1000); // past rdy, within exp's leeway
        TokenCheck late = verifier.verify(pass);
        assertThat(late.accepted()).isTrue();
        assertThat(((TokenCheck.Accepted) late).ready())
                .as("no leeway past the ready time")
                .isFalse();
        String garbled = KEY.token(
                "{\"sub\":\"carol\",\"tid\":\"" + TENANT + "\",\"exp\":" + (NOW_SECONDS + 30) + ",\"rdy\":\"soon\"}");
        assertThat(reason(verifier.verify(garbled))).isEqualTo(Reason.MALFORMED);
    }

    @Test
    void aKeySetOfTheJwkSetMediaType_isRead() {
        room.answer(JWKS, 200, "application/jwk-set+json", jwks(KEY));
        assertThat(verifier()
                        .verify(KEY.token(claims("alice", TENANT, NOW_SECONDS + 60)))
                        .accepted())
                .isTrue();
    }

    @Test
    void expiry_allowsTheLeeway_andNoMore() {
        serve(KEY);
        OfflineTokenVerifier verifier =
                verifier(OfflineTokenVerifier.builder(room.url(), TENANT).leeway(Duration.ofSeconds(5)));
        String token = KEY.token(claims("alice", TENANT, NOW_SECONDS));

        assertThat(verifier.verify(token).accepted()).isTrue(); // at exp, within the leeway
        nowMillis.set(NOW_SECONDS * 1000 + 4_999);
        assertThat(verifier.verify(token).accepted()).isTrue();
        nowMillis.set(NOW_SECONDS * 1000 + 5_000);
        assertThat(verifier.verify(token)).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
            assertThat(refused.reason()).isEqualTo(Reason.EXPIRED);
            assertThat(refused.message()).contains("2027-01-15T08:00:00Z");
        });
    }

    @Test
    void aRememberedToken_stillExpires() {
        serve(KEY);
        OfflineTokenVerifier verifier =
                verifier(OfflineTokenVerifier.builder(room.url(), TENANT).leeway(Duration.ZERO));
        String token = KEY.token(claims("alice", TENANT, NOW_SECONDS + 10));
        assertThat(verifier.verify(token).accepted()).isTrue();
        assertThat(verifier.verify(token).accepted()).isTrue();
        nowMillis.addAndGet(10_000);
        assertThat(reason(verifier.verify(token))).isEqualTo(Reason.EXPIRED);
    }

    @Test
    void withoutACache_everyCheckIsMadeInFull() {
        serve(KEY);
        OfflineTokenVerifier verifier =
                verifier(OfflineTokenVerifier.builder(room.url(), TENANT).cacheSize(0));
        String token = KEY.token(claims("alice", TENANT, NOW_SECONDS + 10));
        assertThat(verifier.verify(token).accepted()).isTrue();
        assertThat(verifier.verify(token).accepted()).isTrue();
        assertThat(reason(verifier.verify(forgedSignature(token)))).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void aNotBeforeAhead_isRefused_withinTheLeewayNot() {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();
        String ahead = "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + (NOW_SECONDS + 60) + ",\"nbf\":"
                + (NOW_SECONDS + 30) + "}";
        assertThat(reason(verifier.verify(KEY.token(ahead)))).isEqualTo(Reason.NOT_YET_VALID);
        String justAhead = ahead.replace(String.valueOf(NOW_SECONDS + 30), String.valueOf(NOW_SECONDS + 3));
        assertThat(verifier.verify(KEY.token(justAhead)).accepted()).isTrue();
    }

    // --- refused tokens

    @Test
    void aForgedSignature_isRefused() {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();
        String token = KEY.token(claims("alice", TENANT, NOW_SECONDS + 60));
        byte[] signature = Base64.getUrlDecoder().decode(token.substring(token.lastIndexOf('.') + 1));
        signature[10] ^= 1;
        String flipped = token.substring(0, token.lastIndexOf('.') + 1) + base64(signature);
        assertThat(reason(verifier.verify(flipped))).isEqualTo(Reason.BAD_SIGNATURE);

        String claimsEdited = KEY.header() + "." + base64(claims("mallory", TENANT, NOW_SECONDS + 60))
                + token.substring(token.lastIndexOf('.'));
        assertThat(reason(verifier.verify(claimsEdited))).isEqualTo(Reason.BAD_SIGNATURE);

        TestKey other = TestKey.random("another");
        String underOurKid = other.tokenUnder(KEY.kid(), claims("alice", TENANT, NOW_SECONDS + 60));
        assertThat(reason(verifier.verify(underOurKid))).isEqualTo(Reason.BAD_SIGNATURE);
    }

    @Test
    void anotherRoomsToken_isRefused() {
        serve(KEY);
        TokenCheck check = verifier().verify(KEY.token(claims("alice", "key-ffffffffffffffff", NOW_SECONDS + 60)));
        assertThat(check).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
            assertThat(refused.reason()).isEqualTo(Reason.WRONG_TENANT);
            assertThat(refused.message()).contains("key-ffffffffffffffff");
        });
    }

    @Test
    void onlyEdDsaIsAccepted_neverHs256NorNone() throws GeneralSecurityException {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();
        String claims = claims("alice", TENANT, NOW_SECONDS + 60);

        String hs256Input = base64("{\"alg\":\"HS256\",\"kid\":\"" + KEY.kid() + "\"}") + "." + base64(claims);
        Mac mac = Mac.getInstance("HmacSHA256");
        // the attack on JWKS-keyed verifiers: the public key used as an HMAC secret
        mac.init(new SecretKeySpec(KEY.x().getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
        String hs256 = hs256Input + "." + base64(mac.doFinal(hs256Input.getBytes(StandardCharsets.US_ASCII)));
        assertThat(verifier.verify(hs256)).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
            assertThat(refused.reason()).isEqualTo(Reason.ALGORITHM);
            assertThat(refused.message()).isEqualTo("alg \"HS256\" (expected: EdDSA)");
        });

        String none = base64("{\"alg\":\"none\"}") + "." + base64(claims) + ".";
        assertThat(reason(verifier.verify(none))).isEqualTo(Reason.ALGORITHM);
        String signedNone = KEY.signed("{\"alg\":\"none\",\"kid\":\"" + KEY.kid() + "\"}", claims);
        assertThat(reason(verifier.verify(signedNone))).isEqualTo(Reason.ALGORITHM);
        assertThat(reason(verifier.verify(KEY.signed("{\"kid\":\"" + KEY.kid() + "\"}", claims))))
                .isEqualTo(Reason.ALGORITHM);
        assertThat(reason(verifier.verify(KEY.signed("{\"alg\":\"eddsa\",\"kid\":\"" + KEY.kid() + "\"}", claims))))
                .isEqualTo(Reason.ALGORITHM);
        String critical = "{\"alg\":\"EdDSA\",\"kid\":\"" + KEY.kid() + "\",\"crit\":[\"b64\"],\"b64\":false}";
        assertThat(reason(verifier.verify(KEY.signed(critical, claims)))).isEqualTo(Reason.ALGORITHM);
        assertThat(reason(verifier.verify(KEY.signed("{\"alg\":\"EdDSA\"}", claims))))
                .isEqualTo(Reason.MALFORMED);
        // a header with members the room does not write is still read: typ, and kid before alg
        String reordered = "{\"typ\":\"JWT\",\"kid\":\"" + KEY.kid() + "\",\"alg\":\"EdDSA\"}";
        assertThat(verifier.verify(KEY.signed(reordered, claims)).accepted()).isTrue();
    }

    @Test
    void malformedTokens_areRefusedAsSuch() {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();
        String good = KEY.token(claims("alice", TENANT, NOW_SECONDS + 60));
        String[] parts = good.split("\\.");
        List<String> malformed = new ArrayList<>(List.of(
                "",
                "abc",
                parts[0] + "." + parts[1],
                good + ".x",
                parts[0] + "=." + parts[1] + "." + parts[2],
                parts[0] + "." + parts[1] + "." + parts[2] + "==",
                parts[0] + "." + parts[1] + "." + parts[2].substring(0, parts[2].length() - 1) + "B", // unused bits
                parts[0] + "." + parts[1] + "." + parts[2].substring(4),
                base64("not json") + "." + parts[1] + "." + parts[2],
                base64("[\"alg\",\"EdDSA\"]") + "." + parts[1] + "." + parts[2],
                good.replace('.', '+'),
                "x".repeat(5000)));
        for (String claims : List.of(
                "{\"sub\":\"alice\",\"sub\":\"bob\",\"tid\":\"" + TENANT + "\",\"exp\":" + (NOW_SECONDS + 60) + "}",
                "{\"sub\":7,\"tid\":\"" + TENANT + "\",\"exp\":" + (NOW_SECONDS + 60) + "}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":\"" + (NOW_SECONDS + 60) + "\"}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\"}",
                "{\"sub\":\"alice\",\"exp\":" + (NOW_SECONDS + 60) + "}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":1e300}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":-5}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":99999999999999999999999}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + (NOW_SECONDS + 60) + ",\"nbf\":\"x\"}",
                "{\"sub\":\"alice\"} trailing",
                "[]")) {
            malformed.add(KEY.token(claims));
        }
        for (String token : malformed) {
            assertThat(reason(verifier.verify(token)))
                    .as(token.length() > 100 ? token.substring(0, 100) : token)
                    .isEqualTo(Reason.MALFORMED);
        }
        // a fractional exp is read as its whole seconds, as the room reads it
        String fractional = "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + (NOW_SECONDS + 60) + ".9}";
        assertThat(verifier.verify(KEY.token(fractional)))
                .isEqualTo(new TokenCheck.Accepted("alice", Instant.ofEpochSecond(NOW_SECONDS + 60), Optional.empty()));
    }

    // --- keys: fetching, rotation, broken sets

    @Test
    void anUnknownKid_fetchesAgain_atMostOncePerInterval() {
        serve(KEY);
        OfflineTokenVerifier verifier =
                verifier(OfflineTokenVerifier.builder(room.url(), TENANT).minRefetchInterval(Duration.ofSeconds(10)));
        assertThat(verifier.verify(KEY.token(claims("alice", TENANT, NOW_SECONDS + 600)))
                        .accepted())
                .isTrue();
        assertThat(room.count(JWKS)).isEqualTo(1);

        TestKey stranger = TestKey.random("stranger");
        String unknown = stranger.token(claims("alice", TENANT, NOW_SECONDS + 600));
        assertThat(verifier.verify(unknown)).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
            assertThat(refused.reason()).isEqualTo(Reason.UNKNOWN_KEY);
            assertThat(refused.message()).contains("\"stranger\"").contains("the 1 usable key(s) of ");
        });
        assertThat(room.count(JWKS))
                .as("the first token with an unknown kid waits for the interval")
                .isEqualTo(1);

        nowMillis.addAndGet(10_000);
        for (int i = 0; i < 50; i++) { // a flood of unknown kids: one fetch
            assertThat(reason(verifier.verify(TestKey.random("k" + i).token(claims("a", TENANT, NOW_SECONDS + 600)))))
                    .isEqualTo(Reason.UNKNOWN_KEY);
        }
        assertThat(room.count(JWKS)).isEqualTo(2);
        nowMillis.addAndGet(9_999);
        verifier.verify(unknown);
        assertThat(room.count(JWKS)).isEqualTo(2);
        nowMillis.addAndGet(1);
        verifier.verify(unknown);
        assertThat(room.count(JWKS)).isEqualTo(3);
    }

    @Test
    void aRotatedKey_isFetched_andTheOldKeysTokensAreRefusedOnceItIsGone() {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();
        String old = KEY.token(claims("alice", TENANT, NOW_SECONDS + 600));
        assertThat(verifier.verify(old).accepted()).isTrue();

        TestKey next = TestKey.random("next");
        serve(next);
        nowMillis.addAndGet(60_000);
        assertThat(verifier.verify(next.token(claims("bob", TENANT, NOW_SECONDS + 600)))
                        .accepted())
                .isTrue();
        assertThat(reason(verifier.verify(old)))
                .as("remembered under the old keys only")
                .isEqualTo(Reason.UNKNOWN_KEY);

        serve(KEY, next); // both published while tokens of both are about: both accepted
        assertThat(verifier.refreshKeys()).isEqualTo(2);
        assertThat(verifier.verify(old).accepted()).isTrue();
    }

    @Test
    void aKeySetThatIsNotOne_isReported_andRetriedOnlyAfterTheInterval() {
        OfflineTokenVerifier verifier = verifier();
        String token = KEY.token(claims("alice", TENANT, NOW_SECONDS + 600));
        List<Object[]> broken = List.of(
                new Object[] {200, "application/json", "<html>keys</html>", "not JSON"},
                new Object[] {200, "application/json", "{\"keys\":\"none\"}", "not a JWK set"},
                new Object[] {200, "application/json", "[]", "not a JWK set"},
                new Object[] {200, "text/html", jwks(KEY), "text/html"},
                new Object[] {500, "application/json", "{\"detail\":\"boom\"}", "500 boom"},
                new Object[] {404, "text/plain", "no such thing", "404 no such thing"},
                new Object[] {200, "application/json", "{\"keys\":[" + " ".repeat(70_000) + "]}", "maxAnswerBytes"});
        for (Object[] answer : broken) {
            room.answer(JWKS, (int) answer[0], (String) answer[1], (String) answer[2]);
            nowMillis.addAndGet(10_000);
            assertThat(verifier.verify(token)).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
                assertThat(refused.reason()).isEqualTo(Reason.KEYS_UNAVAILABLE);
                assertThat(refused.message()).contains((String) answer[3]);
            });
        }
        int fetches = room.count(JWKS);
        assertThat(reason(verifier.verify(token))).isEqualTo(Reason.KEYS_UNAVAILABLE);
        assertThat(room.count(JWKS)).as("no fetch within the interval").isEqualTo(fetches);

        serve(KEY);
        nowMillis.addAndGet(10_000);
        assertThat(verifier.verify(token).accepted()).isTrue();
    }

    @Test
    void unusableKeys_areSkippedAndNamed_theGoodOnesUsed() {
        String good = KEY.jwk();
        String xOf31Bytes = base64(new byte[31]);
        byte[] notOnTheCurve = new byte[32];
        notOnTheCurve[0] = 2; // y = 2: (y^2 - 1) / (d y^2 + 1) is no square mod p
        byte[] yAboveP = new byte[32];
        Arrays.fill(yAboveP, (byte) 0xff);
        yAboveP[31] = 0x7f;
        room.answer(
                JWKS,
                200,
                "application/json",
                "{\"keys\":["
                        + String.join(
                                ",",
                                "\"a string\"",
                                okp("short", xOf31Bytes),
                                okp("offcurve", base64(notOnTheCurve)),
                                okp("abovep", base64(yAboveP)),
                                "{\"kty\":\"RSA\",\"kid\":\"rsa\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
                                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"enc\",\"use\":\"enc\",\"x\":\""
                                        + KEY.x() + "\"}",
                                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + KEY.x() + "\"}",
                                good)
                        + "]}");
        OfflineTokenVerifier verifier = verifier();
        assertThat(verifier.verify(KEY.token(claims("alice", TENANT, NOW_SECONDS + 60)))
                        .accepted())
                .isTrue();
        assertThat(verifier.refreshKeys()).isEqualTo(1);
        TokenCheck check = verifier.verify(TestKey.random("offcurve").token(claims("a", TENANT, NOW_SECONDS + 60)));
        assertThat(check).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
            assertThat(refused.reason()).isEqualTo(Reason.UNKNOWN_KEY);
            assertThat(refused.message())
                    .contains("keys[0]: not a JSON object")
                    .contains("keys[1]: x is not 32 bytes")
                    .contains("keys[2]: not a point of Ed25519")
                    .contains("keys[3]: y is not below p");
        });
    }

    @Test
    void aKidGivenTwice_trustsNeither() {
        TestKey twin = TestKey.random(KEY.kid());
        room.answer(JWKS, 200, "application/json", "{\"keys\":[" + KEY.jwk() + "," + twin.jwk() + "]}");
        OfflineTokenVerifier verifier = verifier();
        TokenCheck check = verifier.verify(KEY.token(claims("alice", TENANT, NOW_SECONDS + 60)));
        assertThat(check).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
            assertThat(refused.reason()).isEqualTo(Reason.UNKNOWN_KEY);
            assertThat(refused.message()).contains("given twice");
        });
    }

    @Test
    void aFailedFetch_keepsTheKeysItHad() {
        serve(KEY);
        OfflineTokenVerifier verifier = verifier();
        String token = KEY.token(claims("alice", TENANT, NOW_SECONDS + 600));
        assertThat(verifier.verify(token).accepted()).isTrue();
        room.answer(JWKS, 503, "application/json", "{\"detail\":\"down\"}");
        nowMillis.addAndGet(60_000);
        assertThat(reason(verifier.verify(TestKey.random("new").token(claims("a", TENANT, NOW_SECONDS + 600)))))
                .isEqualTo(Reason.KEYS_UNAVAILABLE);
        assertThat(verifier.verify(KEY.token(claims("bob", TENANT, NOW_SECONDS + 600)))
                        .accepted())
                .isTrue();
        GatehouseClientException failure = catchThrowableOfType(GatehouseClientException.class, verifier::refreshKeys);
        assertThat(failure.kind()).isEqualTo(Kind.ERROR_STATUS);
        assertThat(failure).hasMessageContaining("503 down");
    }

    @Test
    void aKeySetThatNeverComes_timesOut() {
        room.on(JWKS, exchange -> end.await());
        TokenCheck check = verifier().verify(KEY.token(claims("alice", TENANT, NOW_SECONDS + 60)));
        assertThat(check).isInstanceOfSatisfying(TokenCheck.Refused.class, refused -> {
            assertThat(refused.reason()).isEqualTo(Reason.KEYS_UNAVAILABLE);
            assertThat(refused.message()).contains("requestTimeout");
        });
    }

    /** Threads that meet an unknown kid at once share one fetch, and all get its keys. */
    @Test
    void concurrentChecks_shareOneFetch() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                CountDownLatch release = new CountDownLatch(1);
                AtomicReference<String> set = new AtomicReference<>(jwks(KEY));
                room.on(JWKS, exchange -> {
                    release.await();
                    FakeServer.send(exchange, 200, "application/json", set.get());
                });
                int before = room.count(JWKS);
                OfflineTokenVerifier verifier = verifier();
                String token = KEY.token(claims("user-" + round, TENANT, NOW_SECONDS + 60));
                CyclicBarrier start = new CyclicBarrier(8);
                List<Future<TokenCheck>> checks = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    checks.add(threads.submit(() -> {
                        start.await();
                        return verifier.verify(token);
                    }));
                }
                while (room.count(JWKS) == before) {
                    Thread.onSpinWait();
                }
                release.countDown();
                for (Future<TokenCheck> check : checks) {
                    assertThat(check.get().accepted()).isTrue();
                }
                assertThat(room.count(JWKS) - before).as("round %d", round).isEqualTo(1);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aBusinessIdsTenantId_isKeyAndTheStartOfTheKeysSha256() throws Exception {
        byte[] hash = MessageDigest.getInstance("SHA-256").digest("business-key-one".getBytes(StandardCharsets.UTF_8));
        assertThat(OfflineTokenVerifier.tenantIdOfBusinessId("business-key-one"))
                .isEqualTo("key-" + HexFormat.of().formatHex(hash).substring(0, 16));
    }

    @Test
    void theBuilderChecksWhatItIsGiven() {
        OfflineTokenVerifier.Builder builder = OfflineTokenVerifier.builder(room.url(), TENANT);
        assertThatThrownBy(() -> builder.leeway(Duration.ofMinutes(6)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("leeway: PT6M (expected: 0..PT5M)");
        assertThatThrownBy(() -> builder.minRefetchInterval(Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("minRefetchInterval: PT0.01S");
        assertThatThrownBy(() -> builder.cacheSize(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.maxTokenChars(10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OfflineTokenVerifier.builder(room.url(), ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("tenantId");
    }

    // --- helpers

    private void serve(TestKey... keys) {
        room.answer(JWKS, 200, "application/json", jwks(keys));
    }

    private static String jwks(TestKey... keys) {
        List<String> members = new ArrayList<>();
        for (TestKey key : keys) {
            members.add(key.jwk());
        }
        return "{\"keys\":[" + String.join(",", members) + "]}";
    }

    private static String okp(String kid, String x) {
        return "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"" + kid + "\",\"x\":\"" + x + "\"}";
    }

    private static String claims(String user, String tenant, long expiresAtSeconds) {
        return "{\"sub\":\"" + user + "\",\"tid\":\"" + tenant + "\",\"iat\":" + (expiresAtSeconds - 60) + ",\"exp\":"
                + expiresAtSeconds + "}";
    }

    private static Reason reason(TokenCheck check) {
        assertThat(check).isInstanceOf(TokenCheck.Refused.class);
        return ((TokenCheck.Refused) check).reason();
    }

    static String base64(String text) {
        return base64(text.getBytes(StandardCharsets.UTF_8));
    }

    static String base64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** An Ed25519 key of the tests: its private key, its raw public key ({@code x}) and the kid it is served under. */
    static final class TestKey {
        private final PrivateKey privateKey;
        private final String x;
        private final String kid;

        private TestKey(PrivateKey privateKey, String x, String kid) {
            this.privateKey = privateKey;
            this.x = x;
            this.kid = kid;
        }

        static TestKey random(String kid) {
            try {
                KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
                return new TestKey(pair.getPrivate(), base64(raw((EdECPublicKey) pair.getPublic())), kid);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        /** RFC 8037's example key from its seed (A.1), with the public key RFC 8037 gives for it. */
        static TestKey fromSeed(String seedHex, String kid) {
            try {
                PrivateKey key = KeyFactory.getInstance("Ed25519")
                        .generatePrivate(new EdECPrivateKeySpec(
                                NamedParameterSpec.ED25519, HexFormat.of().parseHex(seedHex)));
                return new TestKey(key, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        private static byte[] raw(EdECPublicKey key) {
            byte[] bigEndian = key.getPoint().getY().toByteArray();
            byte[] raw = new byte[32];
            for (int i = 0; i < bigEndian.length && i < 32; i++) {
                raw[i] = bigEndian[bigEndian.length - 1 - i];
            }
            if (key.getPoint().isXOdd()) {
                raw[31] |= (byte) 0x80;
            }
            return raw;
        }

        String kid() {
            return kid;
        }

        String x() {
            return x;
        }

        String jwk() {
            return "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + x + "\",\"kid\":\"" + kid
                    + "\",\"alg\":\"EdDSA\",\"use\":\"sig\"}";
        }

        /** The encoded header the room writes for this key. */
        String header() {
            return base64("{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\"}");
        }

        String token(String claims) {
            return tokenUnder(kid, claims);
        }

        String tokenUnder(String kid, String claims) {
            return signed("{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\"}", claims);
        }

        /** A token of exactly these header and claims bytes, signed with this key. */
        String signed(String header, String claims) {
            String input = base64(header) + "." + base64(claims);
            try {
                Signature signer = Signature.getInstance("Ed25519");
                signer.initSign(privateKey);
                signer.update(input.getBytes(StandardCharsets.US_ASCII));
                return input + "." + base64(signer.sign());
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * {@code token} with the first character of its signature changed: always other bytes (the last
     * characters may only carry the encoding's spare bits, which a lenient decoder drops).
     */
    private static String forgedSignature(String token) {
        int signature = token.lastIndexOf('.') + 1;
        char first = token.charAt(signature);
        return token.substring(0, signature) + (first == 'A' ? 'B' : 'A') + token.substring(signature + 1);
    }
}
