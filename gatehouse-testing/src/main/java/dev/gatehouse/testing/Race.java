package dev.gatehouse.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/** Starts many threads at one moment against shared state, for contention tests. Shared with other modules' tests. */
public final class Race {

    private Race() {}

    /** Runs {@code attempt} once on each of {@code threads} platform threads released together; counts the {@code true}s. */
    public static int countTrue(int threads, BooleanSupplier attempt) throws InterruptedException {
        return countTrue(Thread.ofPlatform(), threads, attempt);
    }

    /** {@link #countTrue(int, BooleanSupplier)} on threads from {@code builder} (virtual ones for thousands). */
    public static int countTrue(Thread.Builder builder, int threads, BooleanSupplier attempt)
            throws InterruptedException {
        AtomicInteger successes = new AtomicInteger();
        run(builder, threads, () -> {
            if (attempt.getAsBoolean()) {
                successes.incrementAndGet();
            }
        });
        return successes.get();
    }

    /** Runs {@code work} on each of {@code threads} platform threads released together, and waits for all. */
    public static void run(int threads, Runnable work) throws InterruptedException {
        run(Thread.ofPlatform(), threads, work);
    }

    /**
     * {@link #run(int, Runnable)} on threads from {@code builder}. If any thread's work throws, the
     * first such throwable is rethrown here once all threads have finished.
     */
    public static void run(Thread.Builder builder, int threads, Runnable work) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            started.add(builder.start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                try {
                    work.run();
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        start.countDown();
        for (Thread thread : started) {
            thread.join();
        }
        Throwable thrown = failure.get();
        if (thrown instanceof RuntimeException e) {
            throw e;
        }
        if (thrown instanceof Error e) {
            throw e;
        }
    }

    /**
     * Runs {@code action} on a thread of its own and waits for it: for a step that must happen on
     * another thread in the middle of this one's call (a release from a hook inside a decision).
     */
    public static void onOtherThread(Runnable action) {
        Thread thread = Thread.ofPlatform().start(action);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
