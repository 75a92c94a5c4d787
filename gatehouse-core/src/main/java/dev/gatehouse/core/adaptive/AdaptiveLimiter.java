package dev.gatehouse.core.adaptive;

/**
 * A limit on work in flight that adapts to the latency and the drops the caller observes: it grows
 * while the backend keeps up and shrinks when latency rises or requests are dropped. Thread-safe;
 * asking for a permit is lock-free and allocation-free.
 *
 * <pre>{@code
 * long permit = limiter.tryAcquire();
 * if (permit == AdaptiveLimiter.REJECTED) { ... shed ... }
 * long start = clock.nowNanos();
 * Response response = call();
 * long rtt = clock.nowNanos() - start;
 * if (response.status() == 503 || response.timedOut()) limiter.onDropped(permit, rtt);
 * else if (response.status() >= 400 && response.status() < 500) limiter.onIgnored(permit);
 * else limiter.onSuccess(permit, rtt);
 * }</pre>
 *
 * Each permit must be reported exactly once.
 */
public interface AdaptiveLimiter {

    /** The permit value meaning "rejected: shed this request". */
    long REJECTED = -1;

    /** A permit to start one unit of work, or {@link #REJECTED} when the limit is reached. */
    long tryAcquire();

    /** The work finished normally after {@code rttNanos}: a latency sample. */
    void onSuccess(long permit, long rttNanos);

    /** The work was dropped, timed out or refused for overload: a sign the limit is too high. */
    void onDropped(long permit, long rttNanos);

    /** The work ended without telling anything about the backend's capacity (a client error, say). */
    void onIgnored(long permit);

    /** The current limit. */
    int limit();

    /** Work in flight now. */
    int inFlight();

    /**
     * How loaded the protected backend looks, in [0, 1]: the larger of how close work in flight is to
     * the limit and how far the limit has shrunk from its recent peak. Other parts scale with it (for
     * example the proof-of-work difficulty, or the gateway's shedding).
     */
    double load();

    /** The configuration. */
    AdaptiveSpec spec();

    /** A limiter for {@code spec}. */
    static AdaptiveLimiter create(AdaptiveSpec spec) {
        return new AdaptiveConcurrencyLimiter(spec);
    }
}
