package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.testing.ManualClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The cookie admits the client it was minted for, for its life, and nothing else. */
final class AdmissionCookieTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OTHER = "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);

    private final ManualClock clock = new ManualClock();
    private final AdmissionCookie cookie = new AdmissionCookie(HmacSecrets.of(SECRET), Duration.ofHours(1), clock);

    @Test
    void admitsTheClientItWasMintedForUntilItsLifeIsOver() {
        String value = cookie.mint("203.0.113.9");

        assertThat(cookie.valid(value, "203.0.113.9")).isTrue();
        clock.advance(Duration.ofMinutes(59));
        assertThat(cookie.valid(value, "203.0.113.9")).isTrue();
        clock.advance(Duration.ofMinutes(1));
        assertThat(cookie.valid(value, "203.0.113.9"))
                .as("replayed past its life")
                .isFalse();
    }

    @Test
    void refusesAnotherClientATamperedValueAndAnotherSecret() {
        String value = cookie.mint("203.0.113.9");
        String expiry = value.substring(0, value.indexOf('.'));
        String mac = value.substring(value.indexOf('.') + 1);

        assertThat(cookie.valid(value, "198.51.100.7")).isFalse();
        assertThat(cookie.valid((Long.parseLong(expiry) + 3600) + "." + mac, "203.0.113.9"))
                .as("a longer life")
                .isFalse();
        assertThat(cookie.valid(expiry + "." + mac.substring(1) + "A", "203.0.113.9"))
                .isFalse();
        assertThat(new AdmissionCookie(HmacSecrets.of(OTHER), Duration.ofHours(1), clock).valid(value, "203.0.113.9"))
                .isFalse();
    }

    @Test
    void aRotatedSecretStillAdmitsCookiesOfThePreviousOne() {
        String value = cookie.mint("203.0.113.9");

        AdmissionCookie rotated = new AdmissionCookie(HmacSecrets.of(OTHER, SECRET), Duration.ofHours(1), clock);

        assertThat(rotated.valid(value, "203.0.113.9")).isTrue();
    }

    @Test
    void refusesWhatIsNoCookieOfOurs() {
        for (String value : new String[] {
            "", ".", "x", "1.", ".abc", "-5.abc", "1e9.abc", "99999999999999999999.abc", "9".repeat(200)
        }) {
            assertThat(cookie.valid(value, "203.0.113.9")).as(value).isFalse();
        }
    }

    @Test
    void isHttpOnlyLaxAndSecureBehindTls() {
        assertThat(cookie.header("v", false))
                .isEqualTo("gatehouse_admission=v; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
        assertThat(cookie.header("v", true)).endsWith("; SameSite=Lax; Secure");
    }
}
