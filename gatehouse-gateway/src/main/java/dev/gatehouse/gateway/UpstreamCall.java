package dev.gatehouse.gateway;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.gateway.GatewayMetrics.Outcome;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.MultiMap;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One call to the upstream, accounted once whatever path it takes (Vert.x's {@link Upstream} or the
 * channel-level {@link ChannelProxy}): the breaker's permit and the adaptive limit's slot (taken from
 * the policy in force when it began, and reported back to the same instances), the spans, and the
 * outcome's count. Used on one event loop.
 */
final class UpstreamCall {

    /** Wicket's words for an open breaker, and Gatehouse's for shedding. */
    static final String BREAKER_OPEN = "service temporarily unavailable\n";

    /** An answer the gateway gives instead of calling the upstream: 503 with {@code text}. */
    record Refusal(String text, long retryAfterSeconds) {

        /** Shed: the upstream has as many calls as it can take, come back in a second. */
        static final Refusal SHED = new Refusal(BREAKER_OPEN, 1);
    }

    private final NanoClock clock;
    private final GatewayMetrics metrics;
    private final Optional<GatewayTracing> tracing;
    private final long startedNanos;
    private final @Nullable Span span;
    private final Optional<CircuitBreaker> breaker;
    private final Optional<AdaptiveLimiter> adaptive;
    private long sentNanos;
    private long permit;
    private long slot;
    private @Nullable Span callSpan;
    private @Nullable Outcome outcome;
    /** A head's status whose breaker verdict waits for the end of its body, or -1. */
    private int headStatus = -1;

    private long headNanos;
    private long answeredNanos; // when the upstream's head came (the clock's)

    /** A call under {@code now}'s breaker and adaptive limit, traced under {@code span} when given. */
    UpstreamCall(
            LivePolicy.Policy now,
            NanoClock clock,
            GatewayMetrics metrics,
            Optional<GatewayTracing> tracing,
            @Nullable Span span) {
        this.clock = clock;
        this.metrics = metrics;
        this.tracing = tracing;
        this.startedNanos = clock.nowNanos();
        this.sentNanos = startedNanos;
        this.span = span;
        this.breaker = now.breaker();
        this.adaptive = now.adaptive();
    }

    /** Takes a permit and a slot; a refusal when the breaker is open or the limit is reached. */
    @Nullable
    Refusal begin() {
        Span breakerStage = breaker.isPresent() ? stage("gatehouse.breaker") : null;
        permit = breaker.map(CircuitBreaker::tryAcquire).orElse(0L);
        end(breakerStage);
        if (permit == CircuitBreaker.REJECTED) {
            outcome = Outcome.BREAKER_OPEN;
            long retryNanos = breaker.map(b -> b.metrics().nanosUntilProbe()).orElse(0L);
            return new Refusal(BREAKER_OPEN, retryNanos > 0 ? Math.max(1, RateLimitFields.ceilSeconds(retryNanos)) : 0);
        }
        Span adaptiveStage = adaptive.isPresent() ? stage("gatehouse.adaptive") : null;
        slot = adaptive.map(AdaptiveLimiter::tryAcquire).orElse(0L);
        end(adaptiveStage);
        if (slot == AdaptiveLimiter.REJECTED) { // shed: the upstream has as many calls as it can take
            breaker.ifPresent(b -> b.release(permit));
            outcome = Outcome.SHED;
            return Refusal.SHED;
        }
        return null;
    }

    /** The call was shed after all (no connection free in time): nothing counted but the shed. */
    void shed() {
        endCallSpan(503);
        breaker.ifPresent(b -> b.release(permit));
        adaptive.ifPresent(a -> a.onIgnored(slot));
        outcome = Outcome.SHED;
    }

    /**
     * The request is all sent (its head, and its body to the end): the upstream's own time starts, the
     * time the breaker and the adaptive limit judge it by. What came before, waiting for a connection
     * and a client's upload, is not the upstream's doing: a slow uploader must not read as a slow
     * upstream (it would drive the adaptive limit down for everyone).
     */
    void sent() {
        sentNanos = clock.nowNanos();
    }

    /** The call goes out with {@code headers}: traced, its context replaces the caller's there. */
    void traced(MultiMap headers) {
        if (span != null) {
            callSpan = tracing.orElseThrow().upstreamCall(span, headers);
        }
    }

    /** When the upstream's answer began (its head came), on the clock the call was made with. */
    long answeredNanos() {
        return answeredNanos;
    }

    /**
     * The upstream answered {@code status}: 500 and above are failures. The adaptive limit takes the
     * head's time; the breaker judges a good head when the body has come to its end (an answer cut
     * off in its middle is a failure, {@link #brokeOff()}), except a half-open breaker's probe, whose
     * head decides at once: a long stream must not hold the breaker's probes for their whole life.
     */
    void answered(int status) {
        long now = clock.nowNanos();
        long elapsed = now - sentNanos;
        answeredNanos = now;
        endCallSpan(status);
        if (status >= 500) {
            breaker.ifPresent(b -> b.onStatus(permit, elapsed, status));
            adaptive.ifPresent(a -> a.onDropped(slot, elapsed));
            outcome = Outcome.BACKEND_ERROR;
            return;
        }
        if (breaker.isPresent() && breaker.get().state() == CircuitBreaker.State.HALF_OPEN) {
            breaker.get().onStatus(permit, elapsed, status);
        } else {
            headStatus = status;
            headNanos = elapsed;
        }
        adaptive.ifPresent(a -> a.onSuccess(slot, elapsed));
        outcome = Outcome.ADMITTED;
    }

    /** The upstream could not be reached or did not answer in time ({@code status} 502 or 504). */
    void failed(int status) {
        long elapsed = clock.nowNanos() - sentNanos;
        endCallSpan(status);
        breaker.ifPresent(b -> b.onFailure(permit, elapsed));
        adaptive.ifPresent(a -> a.onDropped(slot, elapsed));
        outcome = Outcome.BACKEND_ERROR;
    }

    /**
     * The answer broke off after its head (the upstream went silent or closed, or its body could not
     * be read): a backend error, and a failure to the breaker if its head was not judged already.
     */
    void brokeOff() {
        outcome = Outcome.BACKEND_ERROR;
        judgeHead(true);
    }

    /** The client broke off (went away, sent a bad body): no fault of the upstream's, nothing counted. */
    void abandoned() {
        endCallSpan(499); // nginx's code for a client gone
        breaker.ifPresent(b -> b.release(permit));
        adaptive.ifPresent(a -> a.onIgnored(slot));
        if (span != null) {
            GatewayTracing.end(span, 499, "");
        }
    }

    /**
     * The answer ({@code status}) was sent, or the client went away during it: counted, the breaker's
     * verdict on a good head given, and the request's span ended.
     */
    void finished(int status) {
        judgeHead(false);
        if (outcome != null) {
            metrics.request(outcome, clock.nowNanos() - startedNanos);
        }
        if (span != null) {
            GatewayTracing.end(span, status, outcome == null ? "" : outcome.label());
        }
    }

    /** The breaker's verdict on a good head that waited for its answer's end, if one waits: {@code cut}, a failure. */
    private void judgeHead(boolean cut) {
        int judged = headStatus;
        if (judged < 0) {
            return;
        }
        headStatus = -1;
        breaker.ifPresent(b -> {
            if (cut) {
                b.onFailure(permit, headNanos);
            } else {
                b.onStatus(permit, headNanos, judged);
            }
        });
    }

    private @Nullable Span stage(String name) {
        return span == null ? null : tracing.orElseThrow().stage(span, name);
    }

    private static void end(@Nullable Span stage) {
        if (stage != null) {
            stage.end();
        }
    }

    private void endCallSpan(int status) {
        if (callSpan != null) {
            GatewayTracing.end(callSpan, status, "");
            callSpan = null;
        }
    }
}
