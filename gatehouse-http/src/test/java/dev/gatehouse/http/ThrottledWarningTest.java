package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.http.CapturedLog;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ThrottledWarningTest {

    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private final ThrottledWarning warning = new ThrottledWarning(
            LoggerFactory.getLogger(ThrottledWarningTest.class), "the store did not answer", 5_000, clock);

    @Test
    void oneLinePerInterval_sayingHowManyWereNotLogged() {
        try (CapturedLog log = CapturedLog.start()) {
            for (int i = 0; i < 5; i++) {
                warning.warn("GET /a", new CompletionException(new IllegalStateException("down")));
            }
            clock.advance(Duration.ofMillis(4_999));
            warning.warn("GET /b", null);
            assertThat(log.messages())
                    .containsExactly(
                            "the store did not answer (GET /a): java.lang.IllegalStateException: down (0 more since the last such line)");

            clock.advance(Duration.ofMillis(1));
            warning.warn("GET /c", null);
            assertThat(log.messages())
                    .last()
                    .isEqualTo("the store did not answer (GET /c): no answer (5 more since the last such line)");
        }
    }
}
