package dev.gatehouse.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request heads still coming in, on every connection of a process together, and the
 * most they may be. Each head is bounded ({@code http.max-header-bytes}), but a head held while it
 * comes costs more than its bytes in the decoder's objects (about 100 KB of heap for a head of 60 KB),
 * so thousands of connections each holding most of a head, within the header timeout, would fill
 * the heap; past this bound a connection whose head grows is closed instead.
 */
final class HeadBytes {

    private final long maxBytes;
    private final AtomicLong held = new AtomicLong();

    /** At most {@code maxBytes} in heads coming in at once. */
    HeadBytes(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** An eighth of the heap's most: in the decoder's objects, about a fifth of it. */
    static HeadBytes ofHeap() {
        return new HeadBytes(Runtime.getRuntime().maxMemory() / 8);
    }

    /** Counts {@code bytes} more in, unless that would pass the bound; whether it did. */
    boolean take(long bytes) {
        long now;
        do {
            now = held.get();
            if (now + bytes > maxBytes) {
                return false;
            }
        } while (!held.compareAndSet(now, now + bytes));
        return true;
    }

    /** Counts {@code bytes} out. */
    void give(long bytes) {
        held.addAndGet(-bytes);
    }

    /** What is counted in now. */
    long held() {
        return held.get();
    }
}
