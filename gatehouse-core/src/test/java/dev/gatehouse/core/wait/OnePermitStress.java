package dev.gatehouse.core.wait;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.testing.Race;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Threads take and give back one permit of a one-permit limit through a wait queue as fast as they
 * can. The invariants: never two holders at once, and every request is granted (a lost wake-up
 * leaves one waiting for ever with the permit free, which the bounded wait reports as a stall).
 */
final class OnePermitStress {

    private static final int THREADS = 4;
    private static final int ROUNDS = 1_000;

    private OnePermitStress() {}

    /** Runs the race over {@code acquire} (waiting without a time limit) and {@code release}, and checks it. */
    static void run(Supplier<CompletableFuture<Decision>> acquire, Consumer<Decision> release)
            throws InterruptedException {
        AtomicInteger holders = new AtomicInteger();
        AtomicInteger mostHolders = new AtomicInteger();
        AtomicLong granted = new AtomicLong();
        AtomicLong stalled = new AtomicLong();
        Race.run(THREADS, () -> {
            for (int i = 0; i < ROUNDS; i++) {
                Decision decision;
                try {
                    decision = acquire.get().get(10, TimeUnit.SECONDS); // a hang guard, not a timing
                } catch (TimeoutException e) {
                    stalled.incrementAndGet();
                    return;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                assertThat(decision.allowed()).isTrue();
                mostHolders.accumulateAndGet(holders.incrementAndGet(), Math::max);
                holders.decrementAndGet();
                granted.incrementAndGet();
                release.accept(decision);
            }
        });
        assertThat(stalled).hasValue(0);
        assertThat(granted).hasValue((long) THREADS * ROUNDS);
        assertThat(mostHolders).hasValue(1);
    }
}
