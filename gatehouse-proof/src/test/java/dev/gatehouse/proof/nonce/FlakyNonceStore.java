package dev.gatehouse.proof.nonce;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A shared store stand-in that stops answering while {@link #down} is set. */
final class FlakyNonceStore implements NonceStore {

    private final NonceStore delegate;
    volatile boolean down;
    /** Puts answered before every put fails again (as if the store went away). */
    final AtomicInteger failPutsAfter = new AtomicInteger(Integer.MAX_VALUE);
    /** Runs before each put the store answers, with its id: a test's hook to slow one down. */
    volatile Consumer<String> beforeWrite = id -> {};

    FlakyNonceStore(NonceStore delegate) {
        this.delegate = delegate;
    }

    /** A probe for StoreHealth: throws while the store is down. */
    void probe() {
        if (down) {
            throw new IllegalStateException("down");
        }
    }

    @Override
    public boolean putIfAbsent(String id, long expiresAtMillis) {
        if (down || failPutsAfter.getAndDecrement() <= 0) {
            throw new NonceStoreUnavailableException("down");
        }
        beforeWrite.accept(id);
        return delegate.putIfAbsent(id, expiresAtMillis);
    }

    @Override
    public boolean contains(String id) {
        if (down) {
            throw new NonceStoreUnavailableException("down");
        }
        return delegate.contains(id);
    }
}
