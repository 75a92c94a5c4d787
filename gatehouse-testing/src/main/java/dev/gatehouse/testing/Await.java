package dev.gatehouse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting in integration tests for something another process or thread does (a server answers, a
 * request reaches an upstream): polls a condition, failing after a liveness bound. Never a measured
 * time, and never in a unit test, which runs on a manual clock.
 */
public final class Await {

    private static final long POLL_MILLIS = 10;

    private Await() {}

    /** Polls {@code condition} until it holds, failing after {@code timeout}. */
    public static void until(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within %s", timeout).isLessThan(deadline);
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
