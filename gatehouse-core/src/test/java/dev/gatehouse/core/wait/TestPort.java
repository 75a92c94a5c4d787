package dev.gatehouse.core.wait;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.limit.LimiterSnapshot;
import dev.gatehouse.core.limit.RateLimiter;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * A {@link KeyedRateLimiter} for wait queue tests: one in-process limiter per key made from the spec
 * of its first call, a lease per grant (so a give-back can be checked to name its grant, once), and
 * knobs to answer later on a scheduler, to fail, and to run a hook right after a decision.
 */
final class TestPort implements KeyedRateLimiter {

    private final NanoClock clock;
    private final ConcurrentHashMap<String, RateLimiter> limiters = new ConcurrentHashMap<>();
    private final Set<Long> outstanding = new HashSet<>();
    private final List<Long> releasedLeases = new ArrayList<>();
    private long nextLease = 1;
    private int releasesOfUnknownLeases;

    final AtomicInteger decisions = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    volatile IntConsumer afterDecision = n -> {};
    volatile Scheduler answerLater;
    volatile long answerDelayNanos;
    volatile boolean failing;
    volatile LimitSpec lastAskedSpec;

    TestPort(NanoClock clock) {
        this.clock = clock;
    }

    /** Answers {@code delayNanos} after each call, on {@code scheduler} (decided at once, delivered then). */
    TestPort answeringLater(Scheduler scheduler, long delayNanos) {
        this.answerLater = scheduler;
        this.answerDelayNanos = delayNanos;
        return this;
    }

    @Override
    public CompletionStage<Decision> decide(String key, LimitSpec spec, long permits) {
        lastAskedSpec = spec;
        if (failing) {
            return deliver(CompletableFuture.failedFuture(new LimiterUnavailableException("down", null)));
        }
        Decision decision = localLimiter(key, spec).decide(permits);
        if (decision.allowed()) {
            synchronized (this) {
                long lease = nextLease++;
                outstanding.add(lease);
                decision = decision.withLease(lease);
            }
        }
        afterDecision.accept(decisions.incrementAndGet());
        return deliver(CompletableFuture.completedFuture(decision));
    }

    @Override
    public CompletionStage<Void> release(String key, LimitSpec spec, long permits, long lease) {
        releases.incrementAndGet();
        if (lease != Decision.NO_LEASE) {
            synchronized (this) {
                releasedLeases.add(lease);
                if (!outstanding.remove(lease)) {
                    releasesOfUnknownLeases++;
                    return CompletableFuture.completedFuture(null);
                }
            }
        }
        localLimiter(key, spec).release(permits);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Optional<LimiterSnapshot>> snapshot(String key, LimitSpec spec) {
        RateLimiter limiter = limiters.get(key);
        return CompletableFuture.completedFuture(Optional.ofNullable(limiter).map(RateLimiter::snapshot));
    }

    /** The key's limiter (made from {@code spec} on first use). */
    RateLimiter localLimiter(String key, LimitSpec spec) {
        return limiters.computeIfAbsent(key, k -> spec.newLimiter(clock));
    }

    synchronized Set<Long> outstandingLeases() {
        return Set.copyOf(outstanding);
    }

    synchronized List<Long> releasedLeases() {
        return List.copyOf(releasedLeases);
    }

    /** Give-backs naming a grant that was given back already (or never made): a double release. */
    synchronized int releasesOfUnknownLeases() {
        return releasesOfUnknownLeases;
    }

    private <T> CompletionStage<T> deliver(CompletableFuture<T> answer) {
        Scheduler scheduler = answerLater;
        if (scheduler == null) {
            return answer;
        }
        CompletableFuture<T> later = new CompletableFuture<>();
        scheduler.schedule(
                () -> answer.whenComplete((value, error) -> {
                    if (error != null) {
                        later.completeExceptionally(error);
                    } else {
                        later.complete(value);
                    }
                }),
                answerDelayNanos);
        return later;
    }
}
