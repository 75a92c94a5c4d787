package dev.gatehouse.proof.pow;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The default pool that memory-hard proof-of-work hashes run on: bounded in threads and in queue. */
final class HashPool {

    /*
     * Design: one platform thread per core, since a hash is pure CPU and memory; a bounded queue, and
     * AbortPolicy, so that a full pool rejects at once and the verifier answers BUSY instead of
     * queueing memory-hard work without bound or running it on the caller's thread (an event loop).
     * The queue holds QUEUED_PER_CORE hashes per core: as many as one verifier's memory bulkhead lets
     * wait, so with one verifier the bulkhead (memory) decides, and the pool's own bound matters only
     * when several verifiers share it. Threads are daemons and end after IDLE_SECONDS without work,
     * so an idle library user keeps none.
     */

    /** Hashes that may wait, per core, for a thread. */
    static final int QUEUED_PER_CORE = 4;

    private static final long IDLE_SECONDS = 60;

    private HashPool() {}

    /** The process-wide pool, created on first use. */
    static Executor shared() {
        return Shared.POOL;
    }

    /** A pool of {@code threads} threads and {@code QUEUED_PER_CORE * threads} waiting hashes. */
    static ThreadPoolExecutor create(int threads) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                threads,
                threads,
                IDLE_SECONDS,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUED_PER_CORE * threads),
                Thread.ofPlatform().name("gatehouse-pow-hash-", 1).daemon().factory(),
                new ThreadPoolExecutor.AbortPolicy());
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static final class Shared {
        /** Only its execute method escapes, so no caller can shut the shared pool down. */
        @SuppressWarnings("UnnecessaryMethodReference") // the reference is what hides the ExecutorService
        static final Executor POOL = create(Runtime.getRuntime().availableProcessors())::execute;
    }
}
