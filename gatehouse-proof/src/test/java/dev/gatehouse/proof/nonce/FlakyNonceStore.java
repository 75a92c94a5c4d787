package dev.gatehouse.proof.nonce;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A shared store stand-in that stops answering while {@link #down} is set: its calls then fail at
 * once, as a client does whose connection is down. Calls it answers are answered on {@link #answers}
 * (at once, on the calling thread, by default).
 */
final class FlakyNonceStore implements NonceStore {

    private static final CompletableFuture<Void> OPEN = CompletableFuture.completedFuture(null);

    private final NonceStore delegate;
    volatile boolean down;
    /** Puts answered before every put fails again (as if the store went away). */
    final AtomicInteger failPutsAfter = new AtomicInteger(Integer.MAX_VALUE);
    /** Runs when the store takes a put it will answer, with its id: a test's hook to see it asked. */
    volatile Consumer<String> beforeWrite = id -> {};
    /** Where answers are given: the store's own thread, say. */
    volatile Executor answers = Runnable::run;
    /** The next put of each id here that the store answers waits until its future completes. */
    final Map<String, CompletableFuture<Void>> holds = new ConcurrentHashMap<>();

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
    public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
        if (down || failPutsAfter.getAndDecrement() <= 0) {
            return CompletableFuture.failedStage(new NonceStoreUnavailableException("down"));
        }
        beforeWrite.accept(id);
        CompletableFuture<Void> hold = holds.remove(id);
        return (hold == null ? OPEN : hold)
                .thenComposeAsync(ignored -> delegate.putIfAbsent(id, expiresAtMillis), answers);
    }

    @Override
    public CompletionStage<Boolean> contains(String id) {
        if (down) {
            return CompletableFuture.failedStage(new NonceStoreUnavailableException("down"));
        }
        return OPEN.thenComposeAsync(ignored -> delegate.contains(id), answers);
    }
}
