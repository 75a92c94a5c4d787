package dev.gatehouse.proof.nonce;

import java.time.Duration;

/**
 * A {@link NonceStore} whose calls wait, for a bounded time, for the store's answer: for library users
 * who want a plain {@code boolean}. Built by {@link NonceStore#blocking(Duration)}; it keeps no state
 * of its own.
 */
public interface BlockingNonceStore {

    /**
     * {@link NonceStore#putIfAbsent} and its answer; throws {@link NonceStoreUnavailableException}
     * when the store cannot answer or does not within the view's wait.
     */
    boolean putIfAbsent(String id, long expiresAtMillis);

    /**
     * {@link NonceStore#contains} and its answer; throws {@link NonceStoreUnavailableException} when
     * the store cannot answer or does not within the view's wait.
     */
    boolean contains(String id);
}
