package dev.gatehouse.waitingroom;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.keyed.LimiterRegistry;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.FixedWindowSpec;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.waitingroom.QueueState.Enqueued;
import dev.gatehouse.waitingroom.QueueState.Standing;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * A visitor's calls on a room's queue, each behind one of the room's per-address limits ({@code
 * ip_enqueue_limit} and {@code ip_status_polling_limit}, fixed windows counted per client address):
 * the limit is decided and, when it allows, the call is made; a refused call changes nothing in the
 * queue (a refused poll does not count as seeing the user). Kept in this process ({@link #of}: a
 * keyed limiter, then the queue), or in one atomic step with the queue in Redis (the adapter's), so
 * that a poll costs one round trip. Limits and queues of a room are shared by whoever shares its
 * store.
 */
public interface VisitorCalls {

    /**
     * The limit's decision alone (for a call that has more to check before it may enqueue, such as a
     * proof of work); empty when the limiter could not answer, which lets the call through.
     */
    CompletionStage<Optional<Decision>> limit(String room, AddressLimit limit);

    /** {@link QueueState#enqueue}, when {@code limit} allows it. */
    CompletionStage<Limited<Enqueued>> enqueue(String room, String user, long nowMillis, AddressLimit limit);

    /** {@link QueueState#status}, when {@code limit} allows it. */
    CompletionStage<Limited<Standing>> status(String room, String user, long nowMillis, AddressLimit limit);

    /** The per-address limits of a room, as its config names them. */
    enum Kind {
        ENQUEUE("enqueue"),
        STATUS("status");

        private final String wireName;

        Kind(String wireName) {
            this.wireName = wireName;
        }

        /** The name in the limit's key and in the {@code RateLimit-Policy} header ({@code ip_} + it). */
        public String wireName() {
            return wireName;
        }
    }

    /**
     * At most {@code limit} calls of {@code kind} per {@code intervalSeconds} from {@code address}
     * (a client's address as the server reads it: no more than a key).
     */
    record AddressLimit(Kind kind, String address, long limit, long intervalSeconds) {

        /** The largest limit, a fixed window's (a room's config allows a million). */
        public static final long MAX_LIMIT = FixedWindowSpec.MAX_PER_WINDOW;

        /** The longest interval, about 68 years (a room's config allows a day). */
        public static final long MAX_INTERVAL_SECONDS = 1L << 31;

        public AddressLimit {
            Require.given("kind", kind, "enqueue or status");
            Require.given("address", address, "a client address");
            Require.inRange("limit", limit, 1, MAX_LIMIT);
            Require.inRange("intervalSeconds", intervalSeconds, 1, MAX_INTERVAL_SECONDS);
        }

        /** {@code config}'s {@code ip_enqueue_limit} per {@code ip_enqueue_limit_interval} for {@code address}. */
        public static AddressLimit enqueue(String address, RoomConfig config) {
            return new AddressLimit(Kind.ENQUEUE, address, config.ipEnqueueLimit(), config.ipEnqueueLimitInterval());
        }

        /** {@code config}'s {@code ip_status_polling_limit} per its interval for {@code address}. */
        public static AddressLimit status(String address, RoomConfig config) {
            return new AddressLimit(
                    Kind.STATUS, address, config.ipStatusPollingLimit(), config.ipStatusPollingLimitInterval());
        }

        /** The limit as a spec: fixed windows of the interval. */
        public FixedWindowSpec spec() {
            return LimitSpec.fixedWindow(limit, Duration.ofSeconds(intervalSeconds));
        }
    }

    /**
     * A limited call: the limit's decision (empty when the limiter could not answer, and the call was
     * made) and the call's result, present when it was made.
     */
    record Limited<T>(Optional<Decision> decision, Optional<T> result) {

        public Limited {
            Require.given("decision", decision, "a decision or none");
            Require.given("result", result, "a result or none");
            if (result.isPresent() != decision.map(Decision::allowed).orElse(true)) {
                throw new IllegalArgumentException(
                        "result: " + result + " for decision " + decision + " (expected: a result when allowed)");
            }
        }

        /** A call the limit refused. */
        public static <T> Limited<T> refused(Decision decision) {
            return new Limited<>(Optional.of(decision), Optional.empty());
        }

        /** A call made: {@code decision} allowed it (empty: the limiter could not answer). */
        public static <T> Limited<T> made(Optional<Decision> decision, T result) {
            return new Limited<>(decision, Optional.of(result));
        }
    }

    /**
     * The most addresses {@link #inProcess} keeps windows for; beyond, a new address takes the place
     * of the window that would be forgotten soonest (that address starts a new window at its next
     * call).
     */
    int MAX_IN_PROCESS_ADDRESSES = 1_000_000;

    /**
     * The calls on {@code state} with their limits kept in this process, judged by {@code clock}: at
     * most {@link #MAX_IN_PROCESS_ADDRESSES} windows, each forgotten three windows after its own has
     * ended.
     */
    static VisitorCalls inProcess(QueueState state, NanoClock clock) {
        return of(
                state,
                KeyedRateLimiter.inMemory(LimiterRegistry.forSpecs(
                                key -> {
                                    throw new IllegalStateException(
                                            "every per-address limit comes with its spec: " + key);
                                },
                                clock)
                        .idleTime(LimitSpec::idleNanos)
                        .maximumKeys(MAX_IN_PROCESS_ADDRESSES)
                        .build()));
    }

    /**
     * The limits decided by {@code limits} (keyed by room, kind and address), then the call made on
     * {@code state}: two steps, for stores that cannot take both in one.
     */
    static VisitorCalls of(QueueState state, KeyedRateLimiter limits) {
        Require.given("state", state, "a queue state");
        Require.given("limits", limits, "a keyed limiter");
        return new VisitorCalls() {
            @Override
            public CompletionStage<Optional<Decision>> limit(String room, AddressLimit limit) {
                return stage(() -> limits.decide(
                                room + "|" + limit.kind().wireName() + "|" + limit.address(), limit.spec(), 1))
                        .handle((decision, failure) -> Optional.ofNullable(failure == null ? decision : null));
            }

            @Override
            public CompletionStage<Limited<Enqueued>> enqueue(
                    String room, String user, long nowMillis, AddressLimit limit) {
                return limited(room, limit, () -> state.enqueue(room, user, nowMillis));
            }

            @Override
            public CompletionStage<Limited<Standing>> status(
                    String room, String user, long nowMillis, AddressLimit limit) {
                return limited(room, limit, () -> state.status(room, user, nowMillis));
            }

            private <T> CompletionStage<Limited<T>> limited(
                    String room, AddressLimit limit, Supplier<CompletionStage<T>> call) {
                return limit(room, limit)
                        .thenCompose(decision ->
                                decision.isPresent() && !decision.get().allowed()
                                        ? CompletableFuture.completedFuture(Limited.<T>refused(decision.get()))
                                        : stage(call).thenApply(result -> Limited.made(decision, result)));
            }
        };
    }

    /** {@code call}'s stage, or a failed one when it throws instead of failing its stage. */
    private static <T> CompletionStage<T> stage(Supplier<CompletionStage<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
