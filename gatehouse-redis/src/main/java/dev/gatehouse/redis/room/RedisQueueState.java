package dev.gatehouse.redis.room;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.redis.internal.LimiterLua;
import dev.gatehouse.redis.internal.LuaScript;
import dev.gatehouse.redis.internal.RedisFailures;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Admitted;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.RoomStoreUnavailableException;
import dev.gatehouse.waitingroom.VisitorCalls;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@link QueueState} in Redis, shared by every replica: each operation is one atomic script on the
 * room's keys ({@code config} reads one hash), so that each tick happens once however many replicas
 * call {@link #advance}.
 */
public final class RedisQueueState implements QueueState, VisitorCalls {

    /*
     * Design: a room is nine keys under prefix + "room:{" + room + "}:", all in the room's Cluster
     * slot: "config" (a hash of the config's fields under their wire names; absent until one is
     * stored), "state" (a hash: seq, next_tick, last_tick, budget, ticks and the totals), and three
     * sorted sets of user ids: "queue" scored by a per-room sequence number (a position is ZRANK + 1,
     * exact and O(log n) whatever left the queue before), "seen" scored by the time each queued user
     * was last seen (abandonment takes its lowest scores), and "ready" scored by the time each ready
     * user's time is up (expiry takes its lowest scores). A user is in the queue and seen sets, or in
     * the ready set, or nowhere. A pre-queue adds "registered" and "late" (sorted sets by arrival
     * sequence: users registered before and after its close), the state's "prequeue" field (open,
     * closed, ended) and "draw" (a hash of the draw files). Semantics are MemoryQueueState's, line by line in RoomScripts, with
     * two deliberate differences: a user's last-seen time never goes back (a replica whose clock lags
     * cannot move a user nearer abandonment), where the memory store orders by the calls' order; and
     * an advance sweeps at most MAX_ADMITTED_PER_ADVANCE expiries and as many abandonments, then asks
     * to be called again at once (Redis runs one script at a time: no sweep may hold it for long).
     *
     * What stays: Redis deletes a sorted set when its last member goes, so a room nobody waits in
     * and nobody is ready in keeps its config and state hashes only (a few hundred bytes). Those are
     * never expired: the config is configuration, and the state holds the totals RoomStats promises
     * since the room began and the tick schedule. Ready users leave when advance (or a look at them)
     * finds their time up; queued users leave when admitted, or abandoned when abandonment is on. A
     * room that nobody advances any more keeps its users: removing a room is its tenant's deletion.
     *
     * A visitor's calls count in per-address fixed windows (VisitorCalls), each a string key of
     * the room's, prefix + "room:{" + room + "}:ip:" + kind + ":" + address, in the room's slot: the
     * window is decided in the same script as the call it limits, by the Redis server's clock as
     * RedisKeyedRateLimiter decides, and the key expires three windows after the end of the window
     * of its last use, as the in-memory limiter forgets it. The address follows the room's hash tag,
     * so no address moves a key to another slot. A room's limited calls (polls and enqueues) go in
     * batches, one in flight per room and process (GroupCommit): a call made while a batch is out
     * waits for its answer and goes in the next, so under load one script (one round trip, one
     * start of the Lua interpreter, the room's keys sent once) serves many calls, each decided as if
     * it ran alone, in the order they were made.
     *
     * Hostile user ids: an id is only ever a sorted-set member (never part of a key name, never
     * parsed or concatenated in Lua), so no content reaches another room, another user or the room's
     * fields, and its cost in Redis is its length, twice while queued (queue and seen), once while
     * ready. Ids are sent as UTF-8; a String with an unpaired surrogate has no UTF-8 form (Lettuce
     * would send '?' for it, so two ids would become one) and is refused.
     *
     * Failures are the stage's: a Lettuce error (timeout, connection, error reply) fails it with
     * that exception; nothing is thrown for I/O.
     */

    /** The latest time a call may pass: Lua computes with doubles, exact below 2^53. */
    static final long MAX_TIME_MILLIS = 1L << 52;

    private static final String ENQUEUE = "e";
    private static final String STATUS = "s";
    private static final String CHECK = "c";
    private static final Field[] FIELDS = Field.values();

    /**
     * The most limited calls of a room in one script: at the 12 µs a poll and 20 µs an enqueue took
     * in Redis with a million queued, at most about 0.8 and 1.3 ms while every other client waits.
     */
    static final int MOST_CALLS_PER_BATCH = 64;

    /** The wait bound of an instance made as a QueueState, whose visitor calls nothing reaches. */
    private static final long NO_VISITOR_CALLS = Long.MAX_VALUE;

    /** A visitor's call limited per address, as LIMITED_STANDING takes it. */
    private record LimitedCall(String window, String user, String now, String mode, AddressLimit limit) {}

    /** Rooms whose key names are remembered; rooms are tenants, but nothing here counts on that. */
    private static final int MAX_REMEMBERED_ROOMS = 10_000;

    private final RedisClusterAsyncCommands<String, String> redis;
    private final String keyPrefix;
    private final Map<String, String[]> roomKeys = new ConcurrentHashMap<>();
    /** A room's limited calls, batched (up to MAX_REMEMBERED_ROOMS rooms, as its keys). */
    private final Map<String, GroupCommit<LimitedCall, List<Long>>> limitedCalls = new ConcurrentHashMap<>();

    private final String mostPerAdvance;
    private final long mostWaitNanos;

    private RedisQueueState(
            RedisClusterAsyncCommands<String, String> redis, String keyPrefix, int mostPerAdvance, long mostWaitNanos) {
        this.redis = redis;
        this.mostWaitNanos = mostWaitNanos;
        this.keyPrefix = Require.given("keyPrefix", keyPrefix, "a prefix, possibly empty");
        if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
            throw new IllegalArgumentException(
                    "keyPrefix: " + keyPrefix + " (expected: no braces, they would break the room's hash tag)");
        }
        this.mostPerAdvance = Integer.toString(mostPerAdvance);
    }

    /** Rooms kept under {@code keyPrefix} (no braces), on {@code redis}. */
    public static QueueState create(RedisClusterAsyncCommands<String, String> redis, String keyPrefix) {
        return new RedisQueueState(redis, keyPrefix, MAX_ADMITTED_PER_ADVANCE, NO_VISITOR_CALLS);
    }

    /**
     * A visitor's calls on rooms kept under {@code keyPrefix} (no braces), each limit decided in the
     * call's script; a call waits at most {@code commandTimeout} (the client's) for its batch to go.
     */
    public static VisitorCalls visitorCalls(
            RedisClusterAsyncCommands<String, String> redis, String keyPrefix, Duration commandTimeout) {
        return new RedisQueueState(
                redis, keyPrefix, MAX_ADMITTED_PER_ADVANCE, Require.nanosAtLeast("commandTimeout", commandTimeout, 1));
    }

    /** As {@link #create}, with a smaller batch than {@link #MAX_ADMITTED_PER_ADVANCE}: for tests of batching. */
    static QueueState withBatch(RedisClusterAsyncCommands<String, String> redis, String keyPrefix, int mostPerAdvance) {
        Require.inRange("mostPerAdvance", mostPerAdvance, 1, MAX_ADMITTED_PER_ADVANCE);
        return new RedisQueueState(redis, keyPrefix, mostPerAdvance, NO_VISITOR_CALLS);
    }

    /** The name of one of {@code room}'s keys: {@code config}, {@code state}, {@code queue}, {@code seen} or {@code ready}. */
    static String key(String keyPrefix, String room, String part) {
        return keyPrefix + "room:{" + room + "}:" + part;
    }

    @Override
    public CompletionStage<RoomConfig> config(String room) {
        String key = keys(room)[0];
        return answer(() -> redis.hgetall(key)).thenApply(stored -> parse(room, stored));
    }

    @Override
    public CompletionStage<Void> configure(String room, RoomConfig config, long nowMillis) {
        return configure(room, null, config, nowMillis).thenApply(ignored -> null);
    }

    @Override
    public CompletionStage<Boolean> configureIfUnchanged(
            String room, RoomConfig expected, RoomConfig config, long nowMillis) {
        return configure(room, Require.given("expected", expected, "a room config"), config, nowMillis);
    }

    /** Stores {@code config} if the stored one is still {@code expected} (always when null); whether it did. */
    private CompletionStage<Boolean> configure(
            String room, @Nullable RoomConfig expected, RoomConfig config, long nowMillis) {
        Require.given("config", config, "a room config");
        List<String> arguments = new ArrayList<>();
        arguments.add(time(nowMillis));
        arguments.add(Long.toString(config.admissionFrequencyMillis()));
        arguments.add(Integer.toString(expected == null ? 0 : FIELDS.length));
        if (expected != null) {
            for (Field field : FIELDS) {
                arguments.add(field.wireName());
                arguments.add(Long.toString(field.of(expected)));
                arguments.add(Long.toString(field.of(RoomConfig.DEFAULTS))); // what parse reads for a missing field
            }
        }
        arguments.addAll(fieldsAndValues(config));
        return this.<Long>run(RoomScripts.CONFIGURE, ScriptOutputType.INTEGER, room, arguments.toArray(String[]::new))
                .thenApply(stored -> stored == 1);
    }

    @Override
    public CompletionStage<Boolean> configureIfAbsent(String room, RoomConfig config) {
        Require.given("config", config, "a room config");
        return this.<Long>run(
                        RoomScripts.CONFIGURE_IF_ABSENT,
                        ScriptOutputType.INTEGER,
                        room,
                        fieldsAndValues(config).toArray(String[]::new))
                .thenApply(stored -> stored == 1);
    }

    @Override
    public CompletionStage<Enqueued> enqueue(String room, String user, long nowMillis) {
        return standing(room, user, nowMillis, ENQUEUE)
                .thenApply(reply -> new Enqueued(reply.get(0) == 1, toStanding(reply)));
    }

    @Override
    public CompletionStage<Standing> status(String room, String user, long nowMillis) {
        return standing(room, user, nowMillis, STATUS).thenApply(RedisQueueState::toStanding);
    }

    @Override
    public CompletionStage<Standing> standing(String room, String user, long nowMillis) {
        return standing(room, user, nowMillis, CHECK).thenApply(RedisQueueState::toStanding);
    }

    @Override
    public CompletionStage<Standing> touch(String room, String user, long nowMillis) {
        return this.<Long>run(RoomScripts.TOUCH, ScriptOutputType.INTEGER, room, user(user), time(nowMillis))
                .thenCompose(readyUntil -> readyUntil > 0
                        ? CompletableFuture.completedFuture(Standing.ready(readyUntil))
                        : standing(room, user, nowMillis));
    }

    @Override
    public CompletionStage<Finish> finish(String room, String user, long nowMillis) {
        return this.<Long>run(RoomScripts.FINISH, ScriptOutputType.INTEGER, room, user(user), time(nowMillis))
                .thenApply(cleared -> cleared == 1 ? Finish.READY_CLEARED : Finish.NOT_READY);
    }

    @Override
    public CompletionStage<Advance> advance(String room, long nowMillis) {
        return this.<List<Object>>run(
                        RoomScripts.ADVANCE, ScriptOutputType.MULTI, room, time(nowMillis), mostPerAdvance)
                .thenApply(reply -> new Advance(
                        admitted(reply.get(4), reply.get(5)),
                        number(reply, 0),
                        number(reply, 1),
                        number(reply, 2) == 1,
                        number(reply, 3)));
    }

    @Override
    public CompletionStage<List<Admitted>> admit(String room, long count, long nowMillis) {
        Require.inRange("count", count, 0, MAX_ADMITTED_PER_ADVANCE);
        return this.<List<Object>>run(
                        RoomScripts.ADMIT, ScriptOutputType.MULTI, room, time(nowMillis), Long.toString(count))
                .thenApply(reply -> admitted(reply.get(0), reply.get(1)));
    }

    /** The users a script made ready, in queue order, with when each was queued (two parallel lists). */
    private static List<Admitted> admitted(Object users, Object times) {
        List<?> names = (List<?>) users;
        List<?> queuedAt = (List<?>) times;
        List<Admitted> admitted = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            admitted.add(new Admitted((String) names.get(i), Long.parseLong((String) queuedAt.get(i))));
        }
        return admitted;
    }

    @Override
    public CompletionStage<RoomStats> stats(String room, long nowMillis) {
        return this.<List<Long>>run(RoomScripts.STATS, ScriptOutputType.MULTI, room)
                .thenApply(reply -> new RoomStats(
                        reply.get(0),
                        reply.get(1),
                        reply.get(2),
                        reply.get(3),
                        reply.get(4),
                        reply.get(5),
                        reply.get(6),
                        reply.get(7),
                        reply.get(8),
                        reply.get(9)));
    }

    @Override
    public CompletionStage<Boolean> startPrequeue(String room) {
        return this.<Long>run(RoomScripts.START_PREQUEUE, ScriptOutputType.INTEGER, room)
                .thenApply(started -> started == 1);
    }

    @Override
    public CompletionStage<Prequeue> prequeue(String room) {
        String key = keys(room)[1];
        return answer(() -> redis.hget(key, "prequeue")).thenApply(phase -> switch (phase == null ? "" : phase) {
            case "" -> Prequeue.NONE;
            case "open" -> Prequeue.OPEN;
            case "closed" -> Prequeue.CLOSED;
            case "ended" -> Prequeue.ENDED;
            default ->
                throw new IllegalStateException(
                        "room " + room + ": pre-queue \"" + phase + "\" is not one this version knows");
        });
    }

    @Override
    public CompletionStage<Optional<List<String>>> closePrequeue(String room) {
        String registered = keys(room)[6];
        return this.<Long>run(RoomScripts.CLOSE_PREQUEUE, ScriptOutputType.INTEGER, room)
                .thenCompose(closed -> closed == 1
                        ? readAll(registered, 0, new ArrayList<>()).thenApply(Optional::of)
                        : CompletableFuture.completedFuture(Optional.empty()));
    }

    /** The members of {@code key} (which no longer grows), a page at a time: no reply holds Redis for long. */
    private CompletionStage<List<String>> readAll(String key, long from, List<String> read) {
        return answer(() -> redis.zrange(key, from, from + MAX_ADMITTED_PER_ADVANCE - 1))
                .thenCompose(page -> {
                    read.addAll(page);
                    return page.size() < MAX_ADMITTED_PER_ADVANCE
                            ? CompletableFuture.completedFuture(read)
                            : readAll(key, from + page.size(), read);
                });
    }

    @Override
    public CompletionStage<Boolean> placeDrawn(String room, List<String> drawn, boolean last, long nowMillis) {
        Require.inRange("drawn", drawn.size(), 0, MAX_ADMITTED_PER_ADVANCE);
        List<String> arguments = new ArrayList<>(drawn.size() + 3);
        arguments.add(time(nowMillis));
        arguments.add(last ? "1" : "0");
        arguments.add(mostPerAdvance);
        drawn.forEach(user -> arguments.add(user(user)));
        return this.<Long>run(RoomScripts.PLACE_DRAWN, ScriptOutputType.INTEGER, room, arguments.toArray(String[]::new))
                .thenApply(placed -> {
                    if (placed == -1) {
                        throw new IllegalStateException("no pre-queue is closed for a draw");
                    }
                    return placed == 1;
                });
    }

    @Override
    public CompletionStage<DrawFiles> keepCommit(String room, String commit, String tickets) {
        return this.<List<String>>run(RoomScripts.KEEP_COMMIT, ScriptOutputType.MULTI, room, commit, tickets)
                .thenApply(RedisQueueState::drawFiles);
    }

    @Override
    public CompletionStage<DrawFiles> keepRecord(String room, String record) {
        return this.<List<String>>run(RoomScripts.KEEP_RECORD, ScriptOutputType.MULTI, room, record)
                .thenApply(kept -> {
                    if (kept.isEmpty()) {
                        throw new IllegalStateException("no commit is kept for the draw record");
                    }
                    return drawFiles(kept);
                });
    }

    @Override
    public CompletionStage<Optional<String>> drawRecord(String room) {
        String key = keys(room)[8];
        return answer(() -> redis.hget(key, "record")).thenApply(Optional::ofNullable);
    }

    private static DrawFiles drawFiles(List<String> kept) {
        return new DrawFiles(kept.get(0), kept.get(1), kept.get(2));
    }

    @Override
    public CompletionStage<Optional<DrawFiles>> draw(String room) {
        String key = keys(room)[8];
        return answer(() -> redis.hmget(key, "commit", "tickets", "record")).thenApply(values -> {
            if (!values.get(0).hasValue() || !values.get(1).hasValue()) {
                return Optional.empty();
            }
            return Optional.of(new DrawFiles(
                    values.get(0).getValue(),
                    values.get(1).getValue(),
                    values.get(2).hasValue() ? values.get(2).getValue() : null));
        });
    }

    @Override
    public CompletionStage<Optional<Decision>> limit(String room, AddressLimit limit) {
        String[] window = {windowKey(room, limit)};
        return answer(() ->
                        RoomScripts.LIMIT.<List<Long>>run(redis, ScriptOutputType.MULTI, window, limitArguments(limit)))
                .handle((reply, failure) -> failure == null
                        ? Optional.of(LimiterLua.decision(reply, 0, false))
                        : Optional.empty()); // a limit that cannot be decided lets the call through
    }

    @Override
    public CompletionStage<Limited<Enqueued>> enqueue(String room, String user, long nowMillis, AddressLimit limit) {
        return limited(room, user, nowMillis, ENQUEUE, limit)
                .thenApply(reply ->
                        limited(reply, standing -> new Enqueued(standing.get(0) == 1, toStanding(standing))));
    }

    @Override
    public CompletionStage<Limited<Standing>> status(String room, String user, long nowMillis, AddressLimit limit) {
        return limited(room, user, nowMillis, STATUS, limit)
                .thenApply(reply -> limited(reply, RedisQueueState::toStanding));
    }

    private CompletionStage<List<Long>> limited(
            String room, String user, long nowMillis, String mode, AddressLimit limit) {
        LimitedCall call = new LimitedCall(windowKey(room, limit), user(user), time(nowMillis), mode, limit);
        GroupCommit<LimitedCall, List<Long>> batches = limitedCalls.get(room);
        if (batches == null) {
            GroupCommit<LimitedCall, List<Long>> fresh = new GroupCommit<>(
                    MOST_CALLS_PER_BATCH,
                    mostWaitNanos,
                    NanoClock.system(),
                    () -> new RoomStoreUnavailableException(
                            "waiting room: Redis did not answer (the call waited longer than the command timeout"
                                    + " behind the room's calls before it)",
                            null),
                    calls -> sendLimited(room, calls));
            batches = limitedCalls.size() < MAX_REMEMBERED_ROOMS
                    ? Objects.requireNonNullElse(limitedCalls.putIfAbsent(room, fresh), fresh)
                    : fresh; // a room past the remembered ones: its calls go alone
        }
        return batches.submit(call);
    }

    /** One script for a batch of a room's limited calls; each call's reply is eight numbers of it. */
    private CompletionStage<List<List<Long>>> sendLimited(String room, List<LimitedCall> calls) {
        String[] roomKeys = keys(room);
        String[] keys = Arrays.copyOf(roomKeys, roomKeys.length + calls.size());
        String[] arguments = new String[calls.size() * 6];
        for (int i = 0; i < calls.size(); i++) {
            LimitedCall call = calls.get(i);
            keys[roomKeys.length + i] = call.window();
            String[] window = limitArguments(call.limit());
            arguments[i * 6] = call.user();
            arguments[i * 6 + 1] = call.now();
            arguments[i * 6 + 2] = call.mode();
            System.arraycopy(window, 0, arguments, i * 6 + 3, 3);
        }
        return answer(() ->
                        RoomScripts.LIMITED_STANDING.<List<Long>>run(redis, ScriptOutputType.MULTI, keys, arguments))
                .thenApply(reply -> {
                    if (reply.size() != calls.size() * 8) {
                        throw new IllegalStateException("LIMITED_STANDING answered " + reply.size() + " numbers for "
                                + calls.size() + " calls (expected: 8 each)");
                    }
                    List<List<Long>> each = new ArrayList<>(calls.size());
                    for (int i = 0; i < calls.size(); i++) {
                        each.add(reply.subList(i * 8, i * 8 + 8));
                    }
                    return each;
                });
    }

    /** A reply of LIMITED_STANDING: the decision, then (when it allowed the call) STANDING's reply. */
    private static <T> Limited<T> limited(List<Long> reply, Function<List<Long>, T> result) {
        Decision decision = LimiterLua.decision(reply, 0, false);
        return decision.allowed()
                ? Limited.made(Optional.of(decision), result.apply(reply.subList(4, 8)))
                : Limited.refused(decision);
    }

    private String windowKey(String room, AddressLimit limit) {
        keys(room); // the room's name checked (and its keys remembered) as every other call's
        return key(keyPrefix, room, "ip:" + limit.kind().wireName() + ":" + limit.address());
    }

    /** A limit's figures as the scripts take them: the limit, its window in microseconds, its key's idle time in milliseconds. */
    private static String[] limitArguments(AddressLimit limit) {
        return new String[] {
            Long.toString(limit.limit()),
            Long.toString(limit.intervalSeconds() * 1_000_000L),
            Long.toString(Math.ceilDiv(limit.spec().idleNanos(), 1_000_000L))
        };
    }

    private CompletionStage<List<Long>> standing(String room, String user, long nowMillis, String mode) {
        return run(RoomScripts.STANDING, ScriptOutputType.MULTI, room, user(user), time(nowMillis), mode);
    }

    private static Standing toStanding(List<Long> reply) {
        return switch (reply.get(1).intValue()) {
            case 1 -> Standing.queued(reply.get(2));
            case 2 -> Standing.ready(reply.get(3));
            case 3 -> Standing.REGISTERED;
            default -> Standing.UNKNOWN;
        };
    }

    private <T> CompletionStage<T> run(LuaScript script, ScriptOutputType type, String room, String... arguments) {
        String[] keys = keys(room);
        return answer(() -> script.run(redis, type, keys, arguments));
    }

    /**
     * The room's keys in the order every script takes them (see {@link RoomScripts}); the array is
     * shared (remembered for up to {@link #MAX_REMEMBERED_ROOMS} rooms, as every call names them):
     * read it, never write it.
     */
    private String[] keys(String room) {
        String[] remembered = roomKeys.get(Require.given("room", room, "a room name"));
        if (remembered != null) {
            return remembered;
        }
        if (room.isEmpty() || room.indexOf('{') >= 0 || room.indexOf('}') >= 0) {
            throw new IllegalArgumentException(
                    "room: \"" + room + "\" (expected: not empty, no braces: it is the keys' hash tag)");
        }
        String[] keys = {
            key(keyPrefix, room, "config"),
            key(keyPrefix, room, "state"),
            key(keyPrefix, room, "queue"),
            key(keyPrefix, room, "seen"),
            key(keyPrefix, room, "ready"),
            key(keyPrefix, room, "enqueued"),
            key(keyPrefix, room, "registered"),
            key(keyPrefix, room, "late"),
            key(keyPrefix, room, "draw")
        };
        if (roomKeys.size() < MAX_REMEMBERED_ROOMS) {
            roomKeys.putIfAbsent(room, keys);
        }
        return keys;
    }

    private static List<String> fieldsAndValues(RoomConfig config) {
        List<String> pairs = new ArrayList<>(FIELDS.length * 2);
        for (Field field : FIELDS) {
            pairs.add(field.wireName());
            pairs.add(Long.toString(field.of(config)));
        }
        return pairs;
    }

    /**
     * The config stored for {@code room}: each field under its wire name, a missing one (a room with
     * none, or stored before the field existed) at its default; a value that is no number in range
     * fails the call, naming the field.
     */
    private static RoomConfig parse(String room, Map<String, String> stored) {
        Map<Field, Long> values = new EnumMap<>(Field.class);
        for (Field field : FIELDS) {
            String text = stored.get(field.wireName());
            if (text == null) {
                values.put(field, field.of(RoomConfig.DEFAULTS));
                continue;
            }
            try {
                values.put(field, Long.parseLong(text));
            } catch (NumberFormatException e) {
                throw new IllegalStateException(
                        "room " + room + ": stored " + field.wireName() + " \"" + text + "\" is not a number", e);
            }
        }
        try {
            return RoomConfig.of(values);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("room " + room + ": stored config refused: " + e.getMessage(), e);
        }
    }

    private static String user(String user) {
        Require.given("user", user, "a user id");
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < user.length() && Character.isLowSurrogate(user.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(
                        "user: unpaired surrogate at index " + i + " (expected: text that has a UTF-8 form)");
            }
        }
        return user;
    }

    private static String time(long nowMillis) {
        return Long.toString(Require.inRange("nowMillis", nowMillis, 0, MAX_TIME_MILLIS));
    }

    private static long number(List<Object> reply, int index) {
        return (Long) reply.get(index);
    }

    /**
     * The reply of {@code command}; a client that throws (one shut down) fails the stage instead. A
     * Redis that does not answer fails it with {@link RoomStoreUnavailableException}.
     */
    private static <T> CompletionStage<T> answer(Supplier<CompletionStage<T>> command) {
        CompletionStage<T> reply;
        try {
            reply = command.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedStage(outage(e));
        }
        return reply.exceptionallyCompose(error -> CompletableFuture.failedStage(outage(error)));
    }

    private static Throwable outage(Throwable error) {
        Throwable cause = Failures.cause(error);
        return RedisFailures.isOutage(cause)
                ? new RoomStoreUnavailableException("waiting room: Redis did not answer (" + cause + ")", cause)
                : cause;
    }
}
