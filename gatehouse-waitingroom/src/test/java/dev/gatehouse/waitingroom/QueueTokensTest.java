package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.waitingroom.QueueTokens.Verdict;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * {@link QueueTokens#check} reads tokens without nimbus's parser; these tests hold it to what
 * nimbus's own parse-and-verify decides, token by token, over tokens made to be almost right.
 */
class QueueTokensTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef-test";
    private static final String TENANT = "key-0123456789abcdef";
    private static final long NOW_MILLIS = 1_800_000_000_123L;

    private final AtomicLong now = new AtomicLong(NOW_MILLIS);
    private final QueueTokens tokens = new QueueTokens(SECRET, now::get);

    @Test
    void aTokenItIssuedIsValidForItsTenantUntilItsExpiry() {
        String token = tokens.issue(TENANT, "alice", 60);

        assertThat(tokens.check(token, TENANT)).isEqualTo(new QueueTokens.Checked(Verdict.VALID, Optional.of("alice")));
        assertThat(tokens.check(token, "key-ffffffffffffffff").verdict()).isEqualTo(Verdict.INVALID);

        now.set(NOW_MILLIS - 123 + 60_000 - 1); // exp is whole seconds, from the second of issue
        assertThat(tokens.check(token, TENANT).verdict()).isEqualTo(Verdict.VALID);
        now.set(NOW_MILLIS - 123 + 60_000);
        assertThat(tokens.check(token, TENANT))
                .isEqualTo(new QueueTokens.Checked(Verdict.EXPIRED, Optional.of("alice")));
    }

    @Test
    void userIdsOutsideAsciiRoundTrip() {
        String user = "zoë \"quoted\" \\ 名前 \uD83D\uDE00";
        assertThat(tokens.check(tokens.issue(TENANT, user, 60), TENANT).user()).contains(user);
    }

    @Test
    void anotherSecretsTokenIsInvalid() {
        String token =
                new QueueTokens("another secret of at least thirty-two bytes", now::get).issue(TENANT, "alice", 60);
        assertThat(tokens.check(token, TENANT).verdict()).isEqualTo(Verdict.INVALID);
        assertThat(nimbus(token)).isEqualTo(Verdict.INVALID);
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
    void agreesWithNimbusOnSignedPayloadsOfEveryShape() {
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
        assertVerdicts(valid, Verdict.VALID, true);
        assertVerdicts(expired, Verdict.EXPIRED, true);
        assertVerdicts(invalid, Verdict.INVALID, true);
        // nimbus reads a number as the subject; QueueTokens only ever issues strings, and refuses it
        assertVerdicts(List.of("{\"sub\":7," + claims + "}"), Verdict.INVALID, false);
    }

    private void assertVerdicts(List<String> payloads, Verdict expected, boolean nimbusAgrees) {
        for (String payload : payloads) {
            String token = signedRaw("{\"alg\":\"HS256\"}", payload);
            assertThat(tokens.check(token, TENANT).verdict()).as(payload).isEqualTo(expected);
            if (nimbusAgrees) {
                assertThat(nimbus(token)).as("nimbus on %s", payload).isEqualTo(expected);
            }
        }
    }

    @Test
    void agreesWithNimbusOnEveryTokenOneEditAway() {
        String token = tokens.issue(TENANT, "alice", 60);
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
                assertThat(ours).as(candidate).isEqualTo(nimbus(candidate));
            } else { // padding, other alphabets, spaces, other spellings: nimbus takes some, QueueTokens none
                assertThat(ours).as(candidate).isEqualTo(Verdict.INVALID);
            }
        }
    }

    @Test
    void aSignatureSpelledOtherwiseIsRefused() {
        String token = tokens.issue(TENANT, "alice", 60);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int last = alphabet.indexOf(token.charAt(token.length() - 1));
        for (int low = 1; low < 4; low++) { // 43 characters carry 258 bits: the last two encode nothing
            String respelled = token.substring(0, token.length() - 1) + alphabet.charAt(last ^ low);
            assertThat(nimbus(respelled)).as(respelled).isEqualTo(Verdict.VALID); // the same bytes
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

    /** A token of exactly these header and payload bytes, correctly signed. */
    private static String signedRaw(String header, String payload) {
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

    private static String base64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** What nimbus's parse and verify make of {@code token}, with the claims QueueTokens requires. */
    private Verdict nimbus(String token) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())
                    || !jwt.verify(new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8)))) {
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
}
