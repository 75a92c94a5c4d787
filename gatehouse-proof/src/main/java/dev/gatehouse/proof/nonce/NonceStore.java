package dev.gatehouse.proof.nonce;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.WallClock;

/**
 * A set of single-use identifiers that each expire at a given time: the one place where challenges and
 * admission tokens are consumed, shared by every replica that verifies them.
 *
 * <p>Contract: {@link #putIfAbsent} is atomic, so among concurrent calls with the same live id
 * exactly one returns {@code true}. An entry counts as absent from its expiry time on. A store that
 * cannot answer (full, unreachable) throws {@link NonceStoreUnavailableException}, never answers
 * {@code true} in doubt.
 */
public interface NonceStore {

    /**
     * Records {@code id} until {@code expiresAtMillis} (epoch milliseconds) if it is absent, and says
     * whether it was: {@code true} the first time, {@code false} on every later call before expiry.
     */
    boolean putIfAbsent(String id, long expiresAtMillis);

    /**
     * Whether {@code id} is recorded and not expired. Only a hint for skipping costly work on a replay:
     * a {@code false} may be stale at once, so consuming still takes {@link #putIfAbsent}.
     */
    boolean contains(String id);

    /**
     * A store in this process's memory for up to {@code maxEntries} live ids, expiring them by {@code
     * clock}. Fits one node; replicas that share challenges need a shared store.
     */
    static NonceStore inMemory(WallClock clock, int maxEntries) {
        Require.atLeast("maxEntries", maxEntries, 1);
        if (clock == null) {
            throw new IllegalArgumentException("clock: null (expected: a wall clock)");
        }
        return new MemoryNonceStore(clock, maxEntries);
    }
}
