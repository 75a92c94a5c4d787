package dev.gatehouse.proof.nonce;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.WallClock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * A set of single-use identifiers that each expire at a given time: the one place where challenges and
 * admission tokens are consumed, shared by every replica that verifies them.
 *
 * <p>Contract: calls never block; each answer comes as a {@link CompletionStage}, which a store in this
 * process completes before it returns and a shared store when its server answers. {@link
 * #putIfAbsent} is atomic, so among concurrent calls with the same id exactly one answers {@code
 * true}. An id whose expiry is not in the future is never accepted: verifiers check expiry on their
 * own clock before they get here, and a copy that reaches the store after the expiry must not count
 * as a first use. A store keeps each id for {@link #RETENTION_AFTER_EXPIRY_MILLIS} past its expiry, so
 * a verifier whose clock lags by up to that much cannot accept it again. A store that cannot answer
 * (full, unreachable, timed out) completes the stage exceptionally with {@link
 * NonceStoreUnavailableException}, never answers {@code true} in doubt. Only programmer errors (a
 * null id) are thrown by the call itself.
 */
public interface NonceStore {

    /** How long past its expiry a store keeps an id: the clock skew between replicas it tolerates. */
    long RETENTION_AFTER_EXPIRY_MILLIS = 60_000;

    /**
     * Records {@code id}, which expires at {@code expiresAtMillis} (epoch milliseconds), if it is
     * absent and not expired, and answers whether it was: {@code true} the first time, {@code false}
     * on every later call, and {@code false} when the expiry has come.
     */
    CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis);

    /**
     * Whether {@code id} is recorded (and kept). Only a hint for skipping costly work on a replay:
     * a {@code false} may be stale at once, so consuming still takes {@link #putIfAbsent}.
     */
    CompletionStage<Boolean> contains(String id);

    /**
     * A view of this store whose calls wait for their answer, at most {@code maxWait} each, for
     * library users who cannot take a {@link CompletionStage}. A call that gets no answer in time
     * (or is interrupted, keeping the thread's interrupt status) throws {@link
     * NonceStoreUnavailableException}, as does a store that cannot answer; a put that timed out may
     * still land in the store, so the id is then used up without the caller being told: never a
     * second use. Never call it on an event loop or another thread that must not block.
     */
    default BlockingNonceStore blocking(Duration maxWait) {
        return new AwaitingNonceStore(this, Require.nanosAtLeast("maxWait", maxWait, 1));
    }

    /**
     * A store in this process's memory for up to {@code maxEntries} live ids, expiring them by {@code
     * wallClock}; an id is forgotten only once its retention is over on {@code monotonicClock} as
     * well (usually {@link NanoClock#system()}), so a wall clock that steps forward and back cannot
     * make it forget a live id. Every stage it returns is complete. Fits one node; replicas that
     * share challenges need a shared store.
     */
    static NonceStore inMemory(WallClock wallClock, NanoClock monotonicClock, int maxEntries) {
        Require.atLeast("maxEntries", maxEntries, 1);
        Require.given("wallClock", wallClock, "a wall clock");
        Require.given("monotonicClock", monotonicClock, "a monotonic clock, such as NanoClock.system()");
        return new MemoryNonceStore(wallClock, monotonicClock, maxEntries);
    }
}
