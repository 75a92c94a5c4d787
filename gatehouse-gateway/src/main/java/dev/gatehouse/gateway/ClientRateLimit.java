package dev.gatehouse.gateway;

import dev.gatehouse.core.keyed.TokenBucketTable;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.TokenBucketSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.gateway.config.GatewayConfig.RateLimit;
import dev.gatehouse.http.settings.ConfigException;

/**
 * A token bucket per client key, in this process (as Wicket's): {@code burst} tokens at most, one
 * more every {@code 1/rps} seconds, a request taking one. Buckets idle for {@code idle_ttl} are
 * forgotten by a sweep every {@code sweep_interval} that looks at {@code max_sweep_batch} keys at
 * most; the number of buckets is bounded whatever the sweep does, and a bucket costs its 32 bytes
 * whatever its key's length (the key's text is not kept), so a flood of new keys cannot exhaust
 * memory: a million keys take tens of MiB whatever their length, where the text of keys of 256
 * characters alone would take about 300.
 */
final class ClientRateLimit implements AutoCloseable {

    /** The most client keys held at once. */
    static final int MAX_KEYS = 1_000_000;

    private final TokenBucketTable buckets;
    private final Scheduler scheduler;
    private final long sweepNanos;
    private final int sweepBatch;
    /** False when {@code idle_ttl} is negative: buckets are then forgotten only to stay within the bound. */
    private final boolean forgets;

    private volatile Scheduler.Task nextSweep;
    private volatile boolean closed;

    ClientRateLimit(RateLimit config, NanoClock clock, Scheduler scheduler) {
        this.buckets = TokenBucketTable.builder(spec(config))
                .clock(clock)
                .maximumKeys(MAX_KEYS)
                .unlisted() // a key of a client's choosing (identity: header) costs its slot alone
                .idleTime(config.idleTtl())
                .build();
        this.scheduler = scheduler;
        this.sweepNanos = config.sweepInterval().toNanos();
        this.sweepBatch = config.maxSweepBatch() > 0 ? config.maxSweepBatch() : Integer.MAX_VALUE;
        this.forgets = !config.idleTtl().isZero();
        this.nextSweep = scheduler.schedule(this::sweep, sweepNanos);
    }

    /** The bucket Wicket's {@code rps} and {@code burst} describe; a burst below one token admits nobody. */
    static TokenBucketSpec spec(RateLimit config) {
        long capacity = (long) Math.floor(config.burst());
        if (capacity < 1) {
            throw new ConfigException("rate_limit.burst: " + config.burst()
                    + " admits no request, each takes a whole token (expected: at least 1; burst defaults to rps)");
        }
        long periodNanos = Math.max(1, Math.round(1e9 / config.rps()));
        return new TokenBucketSpec(capacity, 1, periodNanos);
    }

    /** Takes a token from {@code key}'s bucket. */
    Decision take(String key) {
        return buckets.decide(key, 1);
    }

    private void sweep() {
        if (closed || !forgets) {
            return;
        }
        buckets.sweep(sweepBatch);
        nextSweep = scheduler.schedule(this::sweep, sweepNanos);
        if (closed) {
            nextSweep.cancel();
        }
    }

    @Override
    public void close() {
        closed = true;
        nextSweep.cancel();
    }
}
