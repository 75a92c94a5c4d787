package dev.gatehouse.core.keyed;

/** How a caller waits for the holder of a retired entry or slot to move it: a matter of nanoseconds. */
final class Backoff {

    private Backoff() {}

    /** Spins for the first attempts, then yields the core: the holder may need it to finish. */
    @SuppressWarnings("ThreadPriorityCheck") // a deliberate yield, see above
    static void pause(int attempt) {
        if (attempt < 16) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
