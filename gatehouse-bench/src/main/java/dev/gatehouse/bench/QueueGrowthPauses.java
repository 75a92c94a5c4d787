package dev.gatehouse.bench;

import dev.gatehouse.waitingroom.MemoryQueueState;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * The longest single enqueues into one in-memory room as it grows to {@code users} queued users (a
 * launch's crowd arriving): every enqueue is timed, and each that took longer than 5 ms is printed
 * with whether a garbage collection ran during it, so that the queue's own pauses (growing its
 * tables) stand apart from the collector's. Run with {@code java -Xms3g -Xmx3g -XX:+AlwaysPreTouch -cp
 * gatehouse-bench/target/benchmarks.jar dev.gatehouse.bench.QueueGrowthPauses [users]} (a heap
 * touched in advance, so that first touches of its pages are not counted either). The first enqueue,
 * which loads classes and creates the room, is left out.
 */
public final class QueueGrowthPauses {

    private static final long REPORTED_NANOS = 5_000_000;

    private QueueGrowthPauses() {}

    public static void main(String[] args) {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 4_000_000;
        MemoryQueueState state = new MemoryQueueState();
        long longestOwn = 0;
        long longestWithGc = 0;
        int ownOver = 0;
        long total = 0;
        state.enqueue("room", "first", 1_000).toCompletableFuture().join();
        for (int i = 0; i < users; i++) {
            String user = "user-" + i;
            long collections = collections();
            long start = System.nanoTime();
            state.enqueue("room", user, 1_000).toCompletableFuture().join();
            long took = System.nanoTime() - start;
            total += took;
            boolean collected = collections() != collections;
            if (collected) {
                longestWithGc = Math.max(longestWithGc, took);
            } else {
                longestOwn = Math.max(longestOwn, took);
            }
            if (took > REPORTED_NANOS) {
                System.out.printf("enqueue %,d took %.1f ms%s%n", i + 1, took / 1e6, collected ? " (a GC ran)" : "");
                ownOver += collected ? 0 : 1;
            }
        }
        System.out.printf(
                "%,d users: mean %.2f µs an enqueue; longest with no GC during it %.1f ms (%d over 5 ms), with a GC %.1f ms%n",
                users, total / 1e3 / users, longestOwn / 1e6, ownOver, longestWithGc / 1e6);
    }

    private static long collections() {
        long count = 0;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += collector.getCollectionCount();
        }
        return count;
    }
}
