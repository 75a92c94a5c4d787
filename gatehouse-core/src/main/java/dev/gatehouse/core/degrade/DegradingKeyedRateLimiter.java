package dev.gatehouse.core.degrade;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A {@link KeyedRateLimiter} on a shared store that keeps deciding when the store does not answer,
 * by an explicit {@link Fallback}. Its stages never complete exceptionally because of the store.
 */
public final class DegradingKeyedRateLimiter implements KeyedRateLimiter {

    /*
     * Design: while the store is healthy every call goes to it, and a call that fails with
     * LimiterUnavailableException reports the failure (degrading the store for every adapter that
     * shares its StoreHealth) and is answered by the fallback instead. While degraded, calls go
     * straight to the fallback, so an outage costs no time-outs; StoreHealth's probe brings the store
     * back. Trade-off: permits taken from the store before an outage and released during it are not
     * given back to the store (a concurrency limiter's lease expiry frees them there).
     */

    private final KeyedRateLimiter store;
    private final StoreHealth health;
    private final Fallback fallback;

    private DegradingKeyedRateLimiter(KeyedRateLimiter store, StoreHealth health, Fallback fallback) {
        this.store = store;
        this.health = health;
        this.fallback = fallback;
    }

    /** Decides in {@code store} while {@code health} says it answers, and by {@code fallback} otherwise. */
    public static DegradingKeyedRateLimiter create(KeyedRateLimiter store, StoreHealth health, Fallback fallback) {
        return new DegradingKeyedRateLimiter(
                Require.given("store", store, "a limiter on a shared store"),
                Require.given("health", health, "the store's health"),
                Require.given("fallback", fallback, "a fallback policy"));
    }

    /** The policy applied while the store is degraded. */
    public Fallback fallback() {
        return fallback;
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        return withFallback(
                () -> store.decide(key, spec, permits), /* report= */ true, () -> fallbackDecision(key, spec, permits));
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        return withFallback(
                () -> store.release(key, spec, permits, lease),
                /* report= */ true,
                () -> switch (fallback) {
                    case Fallback.Local local -> local.limiter().release(key, local.shareOf(spec), permits);
                    case Fallback.FailOpen open -> CompletableFuture.<Void>completedFuture(null);
                    case Fallback.FailClosed closed -> CompletableFuture.<Void>completedFuture(null);
                });
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        // a snapshot is for operators: its failure (a burst of /debug, say) does not degrade decisions
        return withFallback(
                () -> store.snapshot(key, spec),
                /* report= */ false,
                () -> switch (fallback) {
                    case Fallback.Local local -> local.limiter().snapshot(key, local.shareOf(spec));
                    case Fallback.FailOpen open -> CompletableFuture.completedFuture(Optional.<LimiterSnapshot>empty());
                    case Fallback.FailClosed closed ->
                        CompletableFuture.completedFuture(Optional.<LimiterSnapshot>empty());
                });
    }

    private CompletionStage<Decision> fallbackDecision(String key, LimitSpec spec, long permits) {
        return switch (fallback) {
            case Fallback.Local local -> local.limiter().decide(key, local.shareOf(spec), permits);
            case Fallback.FailOpen open ->
                CompletableFuture.completedFuture(new Decision(Decision.Outcome.ALLOWED, spec.limit(), 0, 0));
            case Fallback.FailClosed closed ->
                CompletableFuture.completedFuture(
                        new Decision(Decision.Outcome.DENIED, 0, health.probeIntervalNanos(), Decision.NEVER));
        };
    }

    /**
     * Asks the store while it is healthy, the fallback otherwise or when the store does not answer;
     * {@code report}: whether such a failure degrades the store for every call.
     */
    private <T> CompletionStage<T> withFallback(
            Supplier<CompletionStage<T>> fromStore, boolean report, Supplier<CompletionStage<T>> fromFallback) {
        if (!health.healthy()) {
            return fromFallback.get();
        }
        CompletionStage<T> stored;
        try {
            stored = fromStore.get();
        } catch (LimiterUnavailableException e) {
            if (report) {
                health.reportFailure(e);
            }
            return fromFallback.get();
        }
        return stored.handle((value, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(value);
                    }
                    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                    if (cause instanceof LimiterUnavailableException) {
                        if (report) {
                            health.reportFailure(cause);
                        }
                        return fromFallback.get();
                    }
                    return CompletableFuture.<T>failedFuture(cause);
                })
                .thenCompose(stage -> stage);
    }
}
