package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RateVerdict;
import dev.gatehouse.testing.Race;
import io.vertx.core.MultiMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The {@code RateLimit-Policy} value kept for the limits last written, under threads answering keys
 * of different limits at once: every answer names its own limits, whichever limits the others wrote.
 */
class RateHeadersTest {

    @Test
    void threadsWritingDifferentLimitsEachGetTheirOwnPolicy() throws InterruptedException {
        RateLimits[] limits = {
            RateLimits.of(2, 0, 1_000, Algorithm.FIXED_WINDOW),
            RateLimits.of(50, 0, 60_000, Algorithm.FIXED_WINDOW),
            RateLimits.of(7, 0, 1_000, Algorithm.SLIDING_WINDOW)
        };
        String[] expected = {"\"fixed_window\";q=2;w=1", "\"fixed_window\";q=50;w=60", "\"sliding_window\";q=7;w=1"};
        Decision allowed = new Decision(Decision.Outcome.ALLOWED, 1, 0, 1_000_000_000L);
        AtomicInteger wrong = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        Race.run(6, () -> {
            int offset = next.getAndIncrement();
            for (int i = 0; i < 20_000; i++) {
                int which = (i + offset) % limits.length;
                MultiMap headers = MultiMap.caseInsensitiveMultiMap();
                RateHeaders.write(headers, new RateVerdict(RateVerdict.Outcome.ALLOWED, i, limits[which], allowed));
                if (!expected[which].equals(headers.get("RateLimit-Policy"))) {
                    wrong.incrementAndGet();
                }
            }
        });
        assertThat(wrong).hasValue(0);
    }
}
