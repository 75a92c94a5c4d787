package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.proof.sign.VerifyingKey;
import dev.gatehouse.waitingroom.QueueTokens.Algorithm;
import dev.gatehouse.waitingroom.QueueTokens.Verdict;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link QueueTokens#check} reads tokens without nimbus's parser; these tests hold it to what
 * nimbus's own parse-and-verify decides, token by token, over tokens made to be almost right, under
 * both algorithms (HS256 and EdDSA; nimbus's EdDSA verifier needs Tink, so the nimbus side checks
 * Ed25519 with the JDK's, through nimbus's parser).
 */
class QueueTokensTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-test";
    private static final String TENANT = "key-0123456789abcdef";
    private static final long NOW_MILLIS = 1_800_000_000_123L;
    private static final SigningKey SIGNING_KEY = SigningKey.fromSeed(
            HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    /** The kid of SIGNING_KEY: RFC 8037's example key, whose RFC 7638 thumbprint RFC 8037 gives. */
    private static final String KID = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

    private final AtomicLong now = new AtomicLong(NOW_MILLIS);
    private final QueueTokens tokens = new QueueTokens(SECRET, now::get);
    private final QueueTokens eddsaTokens = QueueTokens.eddsa(SECRET, SIGNING_KEY, now::get);

    private QueueTokens tokens(Algorithm algorithm) {
        return algorithm == Algorithm.HS256 ? tokens : eddsaTokens;
    }

    /** The header each algorithm's tokens carry, byte for byte. */
    private static String header(Algorithm algorithm) {
        return algorithm == Algorithm.HS256 ? "{\"alg\":\"HS256\"}" : "{\"alg\":\"EdDSA\",\"kid\":\"" + KID + "\"}";
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aTokenItIssuedIsValidForItsTenantUntilItsExpiry(Algorithm algorithm) {
        QueueTokens tokens = tokens(algorithm);
        String token = tokens.issue(TENANT, "alice", 60);
        assertThat(token).startsWith(base64(header(algorithm)) + ".");

        assertThat(tokens.check(token, TENANT)).isEqualTo(new QueueTokens.Checked(Verdict.VALID, Optional.of("alice")));
        assertThat(tokens.check(token, "key-ffffffffffffffff").verdict()).isEqualTo(Verdict.INVALID);

        now.set(NOW_MILLIS - 123 + 60_000 - 1); // exp is whole seconds, from the second of issue
        assertThat(tokens.check(token, TENANT).verdict()).isEqualTo(Verdict.VALID);
        now.set(NOW_MILLIS - 123 + 60_000);
        assertThat(tokens.check(token, TENANT))
                .isEqualTo(new QueueTokens.Checked(Verdict.EXPIRED, Optional.of("alice")));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void userIdsOutsideAsciiRoundTrip(Algorithm algorithm) {
        QueueTokens tokens = tokens(algorithm);
        String user = "zoë \"quoted\" \\ 名前 \uD83D\uDE00";
        assertThat(tokens.check(tokens.issue(TENANT, user, 60), TENANT).user()).contains(user);
    }

    @Test
    void anotherSecretsTokenIsInvalid() {
        String token =
                new QueueTokens("another secret of at least thirty-two bytes", now::get).issue(TENANT, "alice", 60);
        assertThat(tokens.check(token, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(nimbus(Algorithm.HS256, token)).isEqualTo(Verdict.INVALID);
    }

    @Test
    void anotherKeysTokenIsInvalid_evenUnderThisKeysKid() {
        SigningKey other = SigningKey.fromSeed(new byte[32]);
        String token = QueueTokens.eddsa(SECRET, other, now::get).issue(TENANT, "alice", 60);
        assertThat(eddsaTokens.check(token, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        String payload = "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + exp() + "}";
        String underOurKid = signedRaw(other, header(Algorithm.EDDSA), payload);
        assertThat(eddsaTokens.check(underOurKid, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(nimbus(Algorithm.EDDSA, underOurKid)).isEqualTo(Verdict.INVALID);
    }

    /** A room checks only its own algorithm: the secret's HS256 tokens are nothing to an EdDSA room, and back. */
    @Test
    void aTokenOfTheOtherAlgorithmIsInvalid() {
        String hs256 = tokens.issue(TENANT, "alice", 60);
        String eddsa = eddsaTokens.issue(TENANT, "alice", 60);
        assertThat(eddsaTokens.check(hs256, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(tokens.check(eddsa, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        // authentic HS256 under the EdDSA header, and the EdDSA signature under the HS256 header
        String payload = "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + exp() + "}";
        assertThat(eddsaTokens
                        .check(signedRaw(Algorithm.HS256, header(Algorithm.EDDSA), payload), TENANT)
                        .verdict())
                .isEqualTo(Verdict.INVALID);
        assertThat(tokens.check(signedRaw(Algorithm.EDDSA, header(Algorithm.HS256), payload), TENANT)
                        .verdict())
                .isEqualTo(Verdict.INVALID);
    }

    @Test
    void eddsaTokensNameTheKeyByItsThumbprint() {
        assertThat(eddsaTokens.algorithm()).isEqualTo(Algorithm.EDDSA);
        assertThat(eddsaTokens.keyId()).contains(KID);
        assertThat(eddsaTokens.verifyingKey().map(VerifyingKey::raw))
                .hasValueSatisfying(raw -> assertThat(raw).isEqualTo(SIGNING_KEY.publicKey()));
        assertThat(tokens.algorithm()).isEqualTo(Algorithm.HS256);
        assertThat(tokens.keyId()).isEmpty();
        assertThat(tokens.verifyingKey()).isEmpty();
    }

    /** A ready user's pass carries until when, and expires with it at the latest; the room checks it as any token. */
    @Test
    void aReadyPassSaysUntilWhenAndExpiresWithIt() throws Exception {
        long now = NOW_MILLIS / 1000;
        for (QueueTokens issuer : List.of(tokens, eddsaTokens)) {
            String shortReady = issuer.issueReady(TENANT, "alice", 300, now + 120);
            String longReady = issuer.issueReady(TENANT, "alice", 300, now + 3_600);
            assertThat(issuer.check(shortReady, TENANT))
                    .isEqualTo(new QueueTokens.Checked(Verdict.VALID, Optional.of("alice")));
            JWTClaimsSet shortClaims = SignedJWT.parse(shortReady).getJWTClaimsSet();
            assertThat(shortClaims.getLongClaim(QueueTokens.READY_UNTIL)).isEqualTo(now + 120);
            assertThat(shortClaims.getExpirationTime().getTime()).isEqualTo((now + 120) * 1000);
            assertThat(SignedJWT.parse(longReady)
                            .getJWTClaimsSet()
                            .getExpirationTime()
                            .getTime())
                    .isEqualTo((now + 300) * 1000);
            assertThat(SignedJWT.parse(issuer.issue(TENANT, "alice", 300))
                            .getJWTClaimsSet()
                            .getClaim(QueueTokens.READY_UNTIL))
                    .isNull();
        }
    }

    /** Ed25519 signatures are checked as RFC 8032 says: S must be below the group order, so S + L is refused. */
    @Test
    void aMalleatedEd25519SignatureIsRefused() {
        String token = eddsaTokens.issue(TENANT, "alice", 60);
        assertThat(eddsaTokens.check(token, TENANT).verdict()).isEqualTo(Verdict.VALID);
        int dot = token.lastIndexOf('.');
        byte[] signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
        BigInteger order = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
        byte[] s = reverse(java.util.Arrays.copyOfRange(signature, 32, 64));
        byte[] sPlusL = new BigInteger(1, s).add(order).toByteArray();
        byte[] littleEndian = new byte[32];
        byte[] reversed = reverse(sPlusL);
        System.arraycopy(reversed, 0, littleEndian, 0, Math.min(32, reversed.length));
        System.arraycopy(littleEndian, 0, signature, 32, 32);
        String malleated = token.substring(0, dot + 1)
                + Base64.getUrlEncoder().withoutPadding().encodeToString(signature);
        assertThat(eddsaTokens.check(malleated, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(nimbus(Algorithm.EDDSA, malleated)).isEqualTo(Verdict.INVALID);
    }

    private static byte[] reverse(byte[] bytes) {
        byte[] reversed = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            reversed[i] = bytes[bytes.length - 1 - i];
        }
        return reversed;
    }

    /** A token remembered as authentic still expires, and is still only its own room's. */
    @Test
    void aRememberedEddsaTokenIsStillCheckedForItsRoomAndExpiry() {
        String token = eddsaTokens.issue(TENANT, "alice", 60);
        for (int i = 0; i < 3; i++) {
            assertThat(eddsaTokens.check(token, TENANT).verdict()).isEqualTo(Verdict.VALID);
        }
        assertThat(eddsaTokens.check(token, "key-ffffffffffffffff").verdict()).isEqualTo(Verdict.INVALID);
        now.set(NOW_MILLIS - 123 + 60_000);
        assertThat(eddsaTokens.check(token, TENANT))
                .isEqualTo(new QueueTokens.Checked(Verdict.EXPIRED, Optional.of("alice")));
    }

    @Test
    void onlyTheHeaderItIssuesIsAccepted() {
        // authentic signatures under headers nimbus accepts too, and under some it refuses: all refused
        String payload = "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + exp() + "}";
        assertThat(tokens.check(signedRaw("{\"alg\":\"HS256\"}", payload), TENANT)
                        .verdict())
                .isEqualTo(Verdict.VALID);
        List<String> headers = List.of(
                "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                "{\"typ\":\"JWT\",\"alg\":\"HS256\"}",
                "{\"alg\":\"HS256\",\"kid\":\"k1\"}",
                "{ \"alg\":\"HS256\"}",
                "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
                "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
                "{\"alg\":\"hs256\"}",
                "{\"alg\":\"HS384\"}",
                "{\"alg\":\"none\"}",
                "{}");
        for (String header : headers) {
            assertThat(tokens.check(signedRaw(header, payload), TENANT).verdict())
                    .as(header)
                    .isEqualTo(Verdict.INVALID);
        }
        String unsigned = base64("{\"alg\":\"none\"}") + "." + base64(payload) + ".";
        assertThat(tokens.check(unsigned, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        String headerOnly = base64("{\"alg\":\"HS256\"}") + "..";
        assertThat(tokens.check(headerOnly, TENANT).verdict()).isEqualTo(Verdict.INVALID);
    }

    @Test
    void onlyTheHeaderItIssuesIsAccepted_eddsa() {
        String payload = "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + exp() + "}";
        assertThat(eddsaTokens
                        .check(signedRaw(Algorithm.EDDSA, header(Algorithm.EDDSA), payload), TENANT)
                        .verdict())
                .isEqualTo(Verdict.VALID);
        List<String> headers = List.of(
                "{\"alg\":\"EdDSA\"}",
                "{\"kid\":\"" + KID + "\",\"alg\":\"EdDSA\"}",
                "{\"alg\":\"EdDSA\",\"kid\":\"" + KID + "\",\"typ\":\"JWT\"}",
                "{\"alg\":\"EdDSA\",\"kid\":\"another\"}",
                "{\"alg\":\"EdDSA\", \"kid\":\"" + KID + "\"}",
                "{\"alg\":\"EdDSA\",\"kid\":\"" + KID + "\",\"kid\":\"" + KID + "\"}",
                "{\"alg\":\"Ed25519\",\"kid\":\"" + KID + "\"}",
                "{\"alg\":\"eddsa\",\"kid\":\"" + KID + "\"}",
                "{\"alg\":\"none\",\"kid\":\"" + KID + "\"}",
                "{\"alg\":\"HS256\"}",
                "{}");
        for (String header : headers) {
            assertThat(eddsaTokens
                            .check(signedRaw(Algorithm.EDDSA, header, payload), TENANT)
                            .verdict())
                    .as(header)
                    .isEqualTo(Verdict.INVALID);
        }
        String unsigned = base64("{\"alg\":\"none\"}") + "." + base64(payload) + ".";
        assertThat(eddsaTokens.check(unsigned, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        String noSignature = base64(header(Algorithm.EDDSA)) + "." + base64(payload) + ".";
        assertThat(eddsaTokens.check(noSignature, TENANT).verdict()).isEqualTo(Verdict.INVALID);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void agreesWithNimbusOnSignedPayloadsOfEveryShape(Algorithm algorithm) {
        String claims = "\"tid\":\"" + TENANT + "\",\"exp\":" + exp();
        List<String> valid = List.of(
                "{\"sub\":\"alice\"," + claims + "}",
                "{\"sub\":\"alice\"," + claims + ",\"iat\":1,\"x\":[1,{\"y\":null}]}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":" + exp() + ".75}",
                "{\"sub\":\"al\\u0069ce\"," + claims + "}",
                " {\"sub\":\"alice\"," + claims + "} ");
        List<String> expired = List.of("{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":1}");
        List<String> invalid = List.of(
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\"}", // no exp
                "{" + claims + "}", // no sub
                "{\"sub\":\"alice\",\"exp\":" + exp() + "}", // no tid
                "{\"sub\":\"alice\",\"tid\":\"key-ffffffffffffffff\",\"exp\":" + exp() + "}",
                "{\"sub\":null," + claims + "}",
                "{\"sub\":[\"alice\"]," + claims + "}",
                "{\"sub\":\"alice\",\"tid\":7,\"exp\":" + exp() + "}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":\"" + exp() + "\"}",
                "{\"sub\":\"alice\",\"tid\":\"" + TENANT + "\",\"exp\":true}",
                "{\"sub\":\"alice\",\"sub\":\"bob\"," + claims + "}",
                "{\"sub\":\"alice\"," + claims + "}{}",
                "{\"sub\":\"alice\"," + claims,
                "[\"sub\",\"alice\"]",
                "\"alice\"",
                "null",
                "");
        assertVerdicts(algorithm, valid, Verdict.VALID, true);
        assertVerdicts(algorithm, expired, Verdict.EXPIRED, true);
        assertVerdicts(algorithm, invalid, Verdict.INVALID, true);
        // nimbus reads a number as the subject; QueueTokens only ever issues strings, and refuses it
        assertVerdicts(algorithm, List.of("{\"sub\":7," + claims + "}"), Verdict.INVALID, false);
    }

    private void assertVerdicts(Algorithm algorithm, List<String> payloads, Verdict expected, boolean nimbusAgrees) {
        for (String payload : payloads) {
            String token = signedRaw(algorithm, header(algorithm), payload);
            for (int twice = 0; twice < 2; twice++) { // the second time, an EdDSA token is remembered
                assertThat(tokens(algorithm).check(token, TENANT).verdict())
                        .as(payload)
                        .isEqualTo(expected);
            }
            if (nimbusAgrees) {
                assertThat(nimbus(algorithm, token)).as("nimbus on %s", payload).isEqualTo(expected);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void agreesWithNimbusOnEveryTokenOneEditAway(Algorithm algorithm) {
        QueueTokens tokens = tokens(algorithm);
        String token = tokens.issue(TENANT, "alice", 60);
        assertThat(tokens.check(token, TENANT).verdict()).isEqualTo(Verdict.VALID); // remembered, under EdDSA
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
        SplittableRandom random = new SplittableRandom(12);
        List<String> edited = new ArrayList<>();
        for (int i = 0; i < token.length(); i++) {
            char replacement = alphabet.charAt(random.nextInt(alphabet.length()));
            edited.add(token.substring(0, i) + replacement + token.substring(i + 1)); // replaced
            edited.add(token.substring(0, i) + token.substring(i + 1)); // deleted
            edited.add(token.substring(0, i) + replacement + token.substring(i)); // inserted
        }
        edited.add(token + "=");
        edited.add(token + ".");
        edited.add(" " + token);
        edited.add(token.substring(0, token.lastIndexOf('.') + 1));
        for (String candidate : edited) {
            Verdict ours = tokens.check(candidate, TENANT).verdict();
            if (candidate.matches("[A-Za-z0-9_.-]*") && !respelled(token, candidate)) {
                assertThat(ours).as(candidate).isEqualTo(nimbus(algorithm, candidate));
            } else { // padding, other alphabets, spaces, other spellings: nimbus takes some, QueueTokens none
                assertThat(ours).as(candidate).isEqualTo(Verdict.INVALID);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void aSignatureSpelledOtherwiseIsRefused(Algorithm algorithm) {
        QueueTokens tokens = tokens(algorithm);
        String token = tokens.issue(TENANT, "alice", 60);
        assertThat(tokens.check(token, TENANT).verdict()).isEqualTo(Verdict.VALID);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(token.charAt(token.length() - 1));
        // HS256: 43 characters carry 258 bits, the last two encode nothing; Ed25519: 86 carry 516, four
        int unusedBits = algorithm == Algorithm.HS256 ? 2 : 4;
        for (int low = 1; low < 1 << unusedBits; low++) {
            String respelled = token.substring(0, token.length() - 1) + alphabet.charAt(last ^ low);
            assertThat(nimbus(algorithm, respelled)).as(respelled).isEqualTo(Verdict.VALID); // the same bytes
            assertThat(tokens.check(respelled, TENANT).verdict()).as(respelled).isEqualTo(Verdict.INVALID);
        }
    }

    /** Whether {@code candidate} is {@code token} with another spelling of the same bytes. */
    private static boolean respelled(String token, String candidate) {
        String[] a = token.split("\\.", -1);
        String[] b = candidate.split("\\.", -1);
        if (a.length != 3 || b.length != 3 || candidate.equals(token)) {
            return false;
        }
        for (int i = 0; i < 3; i++) {
            try {
                if (!java.util.Arrays.equals(
                        Base64.getUrlDecoder().decode(a[i]),
                        Base64.getUrlDecoder().decode(b[i]))) {
                    return false;
                }
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return true;
    }

    /**
     * A user's draw ticket is the same on every replica (same secret), differs across rooms, users and
     * secrets, and is not a token's MAC of the same words (the two keys differ).
     */
    @Test
    void drawTicketsAreKeyedPerSecretRoomAndUser() throws Exception {
        QueueTokens tokens = new QueueTokens(SECRET, now::get);
        String ticket = tokens.drawTicket("room", "alice");
        assertThat(ticket).matches("[0-9a-f]{32}");
        assertThat(new QueueTokens(SECRET, now::get).drawTicket("room", "alice"))
                .isEqualTo(ticket);
        assertThat(tokens.drawTicket("room", "bob")).isNotEqualTo(ticket);
        assertThat(tokens.drawTicket("other", "alice")).isNotEqualTo(ticket);
        assertThat(new QueueTokens(SECRET + "!", now::get).drawTicket("room", "alice"))
                .isNotEqualTo(ticket);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] direct = mac.doFinal("room\0alice".getBytes(StandardCharsets.UTF_8));
        assertThat(ticket).isNotEqualTo(java.util.HexFormat.of().formatHex(direct, 0, 16));
    }

    @Test
    void aSecretShorterThan32BytesIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new QueueTokens("x".repeat(31), now::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("31 bytes");
    }

    // --- helpers

    private long exp() {
        return NOW_MILLIS / 1000 + 60;
    }

    /** A token of exactly these header and payload bytes, correctly signed (HS256). */
    private static String signedRaw(String header, String payload) {
        return signedRaw(Algorithm.HS256, header, payload);
    }

    /** A token of exactly these header and payload bytes, signed with the secret or SIGNING_KEY. */
    private static String signedRaw(Algorithm algorithm, String header, String payload) {
        if (algorithm == Algorithm.EDDSA) {
            return signedRaw(SIGNING_KEY, header, payload);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            String input = base64(header) + "." + base64(payload);
            return input + "."
                    + Base64.getUrlEncoder()
                            .withoutPadding()
                            .encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A token of exactly these header and payload bytes, signed with {@code key}. */
    private static String signedRaw(SigningKey key, String header, String payload) {
        String input = base64(header) + "." + base64(payload);
        return input + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(key.sign(input.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String base64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * What nimbus's parse and verify make of {@code token} under {@code algorithm}, with the claims
     * QueueTokens requires (and, under EdDSA, the kid of the key).
     */
    private Verdict nimbus(Algorithm algorithm, String token) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            JWSVerifier verifier = algorithm == Algorithm.HS256
                    ? new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8))
                    : new JdkEd25519Verifier(SIGNING_KEY.verifyingKey());
            JWSAlgorithm expected = algorithm == Algorithm.HS256 ? JWSAlgorithm.HS256 : JWSAlgorithm.EdDSA;
            if (!expected.equals(jwt.getHeader().getAlgorithm())
                    || (algorithm == Algorithm.EDDSA
                            && !KID.equals(jwt.getHeader().getKeyID()))
                    || !jwt.verify(verifier)) {
                return Verdict.INVALID;
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            Date expires = claims.getExpirationTime();
            if (claims.getSubject() == null || expires == null || !TENANT.equals(claims.getStringClaim("tid"))) {
                return Verdict.INVALID;
            }
            return expires.getTime() <= now.get() ? Verdict.EXPIRED : Verdict.VALID;
        } catch (ParseException | JOSEException | IllegalStateException e) {
            return Verdict.INVALID;
        }
    }

    /** nimbus's verifier interface over the JDK's Ed25519 ({@link VerifyingKey}): nimbus's own needs Tink. */
    private record JdkEd25519Verifier(VerifyingKey key) implements JWSVerifier {
        @Override
        public boolean verify(JWSHeader header, byte[] signingInput, Base64URL signature) {
            return JWSAlgorithm.EdDSA.equals(header.getAlgorithm()) && key.verify(signingInput, signature.decode());
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.EdDSA);
        }

        @Override
        public JCAContext getJCAContext() {
            return new JCAContext();
        }
    }

    @Test
    void theKidIsTheRfc7638Thumbprint() throws Exception {
        // RFC 8037 appendix A.3: the thumbprint of the example key (A.2's public key)
        assertThat(QueueTokens.thumbprint(SIGNING_KEY.publicKey())).isEqualTo(KID);
        String jwk = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
        assertThat(Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(
                                MessageDigest.getInstance("SHA-256").digest(jwk.getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(KID);
    }
}
