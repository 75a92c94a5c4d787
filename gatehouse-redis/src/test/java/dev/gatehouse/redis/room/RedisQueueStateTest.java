package dev.gatehouse.redis.room;

import static dev.gatehouse.testing.Stages.await;
import static dev.gatehouse.testing.Stages.failure;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.redis.PrivateRedis;
import dev.gatehouse.redis.RedisBackend;
import dev.gatehouse.redis.TestRedis;
import dev.gatehouse.testing.CommandStats;
import dev.gatehouse.testing.room.QueueStateContract;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Advance;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The queue state contract against the real Redis server, plus what only Redis can get wrong: key
 * names and slots, user ids that look like anything, one command per operation, the stored config,
 * sweeps in batches, what an idle room keeps, and failures.
 */
class RedisQueueStateTest extends QueueStateContract {

    private static final long T0 = 1_800_000_000_000L;
    private static final long TTL = RoomConfig.DEFAULTS.readyTtlMillis();

    private static RedisClient inspectorClient;
    private static StatefulRedisConnection<String, String> inspector;

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
    private final String room = "room-" + UUID.randomUUID();
    private RedisBackend backend;

    @BeforeAll
    static void connectInspector() {
        TestRedis.connect().close(); // fails (CI) or skips (elsewhere) when there is no Redis
        inspectorClient = RedisClient.create(TestRedis.URL);
        inspector = inspectorClient.connect();
    }

    @AfterAll
    static void closeInspector() {
        if (inspector != null) {
            inspector.close();
            inspectorClient.shutdown();
        }
    }

    @Override
    protected QueueState newState() {
        backend = TestRedis.connect();
        return backend.queueState(prefix);
    }

    @AfterEach
    void closeAndForget() {
        if (backend != null) {
            backend.close();
        }
        List<String> keys = redis().keys(prefix + "*");
        if (!keys.isEmpty()) {
            redis().del(keys.toArray(String[]::new));
        }
    }

    private static RedisCommands<String, String> redis() {
        return inspector.sync();
    }

    private QueueState state() {
        return backend.queueState(prefix);
    }

    private List<String> roomKeys() {
        return redis().keys(prefix + "*").stream().sorted().toList();
    }

    private String key(String part) {
        return RedisQueueState.key(prefix, room, part);
    }

    private static RoomConfig config(long limit, long frequencySeconds, long maxActive, long abandonSeconds) {
        return RoomConfig.DEFAULTS.with(Map.of(
                Field.ADMISSION_LIMIT, limit,
                Field.ADMISSION_FREQUENCY, frequencySeconds,
                Field.MAX_ACTIVE_USERS, maxActive,
                Field.ABANDON_AFTER_SECONDS, abandonSeconds));
    }

    @Test
    void keys_areTheRoomsSix_allInTheRoomsSlot_withoutAPrequeue() {
        QueueState state = state();
        await(state.configure(room, config(1, 60, 0, 30), T0));
        await(state.enqueue(room, "a", T0));
        await(state.enqueue(room, "b", T0));
        await(state.advance(room, T0));

        assertThat(roomKeys())
                .containsExactly(key("config"), key("enqueued"), key("queue"), key("ready"), key("seen"), key("state"))
                .allSatisfy(name -> assertThat(SlotHash.getSlot(name)).isEqualTo(SlotHash.getSlot(room)));
        assertThat(key("queue")).isEqualTo(prefix + "room:{" + room + "}:queue");
    }

    @Test
    void lateArrivalsArePlacedABatchACall() {
        QueueState state = RedisQueueState.withBatch(inspector.async(), prefix, 3);
        await(state.startPrequeue(room));
        await(state.enqueue(room, "early", T0));
        await(state.closePrequeue(room));
        for (int i = 1; i <= 7; i++) {
            await(state.enqueue(room, "late" + i, T0 + i));
        }

        assertThat(await(state.placeDrawn(room, List.of("early"), true, T0 + 10)))
                .isFalse();
        assertThat(await(state.placeDrawn(room, List.of(), true, T0 + 10))).isFalse();
        assertThat(await(state.placeDrawn(room, List.of(), true, T0 + 10))).isTrue();
        assertThat(await(state.placeDrawn(room, List.of(), true, T0 + 10))).isTrue();
        for (int i = 1; i <= 7; i++) {
            assertThat(await(state.status(room, "late" + i, T0 + 11))).isEqualTo(Standing.queued(i + 1));
        }
    }

    @Test
    void aPrequeuesKeysAreThreeMore_allInTheRoomsSlot() {
        QueueState state = state();
        await(state.startPrequeue(room));
        await(state.enqueue(room, "early", T0));
        await(state.closePrequeue(room));
        await(state.enqueue(room, "late", T0));
        await(state.keepCommit(room, "{}", "early\n"));

        assertThat(roomKeys())
                .containsExactly(key("draw"), key("enqueued"), key("late"), key("registered"), key("state"))
                .allSatisfy(name -> assertThat(SlotHash.getSlot(name)).isEqualTo(SlotHash.getSlot(room)));
        await(state.placeDrawn(room, List.of("early"), true, T0));
        assertThat(roomKeys())
                .as("the pre-queue's sets go with it")
                .containsExactly(key("draw"), key("enqueued"), key("queue"), key("seen"), key("state"));
    }

    @Test
    void hostileUserIds_areMembersOnly_keepTheirPlaces_andComeBackByteForByte() {
        QueueState state = state();
        List<String> users = List.of(
                "",
                "}",
                "{",
                "{" + room + "}",
                "budget",
                "seq",
                "next_tick",
                "admission_limit",
                "-inf",
                "+inf",
                "(1",
                "[a",
                "*",
                "\u0000nul",
                "line\r\nbreak",
                "%d %s",
                "é",
                "😀".repeat(64), // 256 bytes of UTF-8
                "room:{other}:queue",
                key("state"));
        assertThat("😀".repeat(64).getBytes(StandardCharsets.UTF_8)).hasSize(256);
        await(state.configure(room, config(users.size(), 60, 0, 0), T0));
        for (int i = 0; i < users.size(); i++) {
            assertThat(await(state.enqueue(room, users.get(i), T0)).standing()).isEqualTo(Standing.queued(i + 1));
        }
        for (int i = 0; i < users.size(); i++) {
            assertThat(await(state.status(room, users.get(i), T0))).isEqualTo(Standing.queued(i + 1));
        }
        assertThat(await(state.config(room))).isEqualTo(config(users.size(), 60, 0, 0));
        assertThat(roomKeys()).containsExactly(key("config"), key("enqueued"), key("queue"), key("seen"), key("state"));

        Advance advance = await(state.advance(room, T0));

        assertThat(advance.admittedUsers()).isEqualTo(users);
        for (String user : users) {
            assertThat(await(state.standing(room, user, T0))).isEqualTo(Standing.ready(T0 + TTL));
        }
        assertThat(await(state.status(room + "-other", "budget", T0))).isEqualTo(Standing.UNKNOWN);
        assertThat(await(state.stats(room, T0)).admittedTotal()).isEqualTo(users.size());
    }

    @Test
    void userIdWithoutAUtf8Form_isRefused_soTwoIdsCannotBecomeOne() {
        QueueState state = state();

        assertThatThrownBy(() -> state.enqueue(room, "\uD800", T0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("user: unpaired surrogate at index 0 (expected: text that has a UTF-8 form)");
        assertThatThrownBy(() -> state.status(room, "a\uDC00", T0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> state.finish(room, "a\uD800b", T0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(await(state.enqueue(room, "?", T0)).standing()).isEqualTo(Standing.queued(1));
        assertThat(await(state.enqueue(room, "\uD83D\uDE00", T0)).standing()).isEqualTo(Standing.queued(2));
    }

    @Test
    void roomsPrefixesAndTimesRedisCannotKeep_areRefused() {
        QueueState state = state();

        assertThatThrownBy(() -> state.enqueue("a}b", "u", T0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("room: \"a}b\" (expected: not empty, no braces: it is the keys' hash tag)");
        assertThatThrownBy(() -> state.advance("", T0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> backend.queueState("x{"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("keyPrefix: x{ (expected: no braces");
        assertThatThrownBy(() -> state.advance(room, RedisQueueState.MAX_TIME_MILLIS + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("nowMillis: 4503599627370497 (expected: 0 <= nowMillis <= 4503599627370496)");
        assertThatThrownBy(() -> state.status(room, "u", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(await(state.advance(room, RedisQueueState.MAX_TIME_MILLIS)).nextWakeMillis())
                .isEqualTo(RedisQueueState.MAX_TIME_MILLIS + RoomConfig.DEFAULTS.admissionFrequencyMillis());
    }

    @Test
    void config_isStoredUnderItsWireNames_andAMissingFieldReadsAsItsDefault() {
        QueueState state = state();
        RoomConfig config = config(7, 9, 11, 13);
        await(state.configure(room, config, T0));

        Map<String, String> expected = new HashMap<>();
        config.values().forEach((field, value) -> expected.put(field.wireName(), Long.toString(value)));
        assertThat(redis().hgetall(key("config"))).isEqualTo(expected);

        redis().hdel(key("config"), Field.MAX_ACTIVE_USERS.wireName()); // as stored before the field existed
        assertThat(await(state.config(room)))
                .isEqualTo(config.with(Map.of(Field.MAX_ACTIVE_USERS, RoomConfig.DEFAULTS.maxActiveUsers())));
        assertThat(await(state.configureIfAbsent(room, RoomConfig.DEFAULTS))).isFalse();

        redis().hset(key("config"), Field.ADMISSION_LIMIT.wireName(), "many");
        assertThat(failure(state.config(room)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("room " + room + ": stored admission_limit \"many\" is not a number");
        redis().hset(key("config"), Field.ADMISSION_LIMIT.wireName(), "-1");
        assertThat(failure(state.config(room)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("admission_limit: -1 (expected: 0..1000000)");
    }

    @Test
    void aMissingConfigField_admitsByItsDefaultInAdvanceToo() {
        QueueState state = state();
        await(state.configure(room, config(2, 60, 0, 0), T0));
        redis().hdel(key("config"), Field.ADMISSION_LIMIT.wireName());
        for (int i = 0; i < RoomConfig.DEFAULTS.admissionLimit() + 1; i++) {
            state.enqueue(room, "u" + i, T0);
        }

        assertThat(await(state.advance(room, T0)).admittedUsers()).hasSize((int) RoomConfig.DEFAULTS.admissionLimit());
    }

    @Test
    void everyOperation_isExactlyOneCommandFromTheClient() {
        try (PrivateRedis server = PrivateRedis.start();
                RedisBackend own = RedisBackend.connect(server.url());
                RedisClient admin = RedisClient.create(server.url());
                StatefulRedisConnection<String, String> connection = admin.connect()) {
            QueueState state = own.queueState(prefix);
            int rounds = 20;
            for (int i = -1; i < rounds; i++) { // round -1 loads the scripts (EVAL once each)
                String user = "u" + i;
                await(state.configure(room, config(1, 1, 0, 30), T0 + i));
                await(state.configureIfAbsent(room, RoomConfig.DEFAULTS));
                await(state.enqueue(room, user, T0 + i));
                await(state.status(room, user, T0 + i));
                await(state.standing(room, user, T0 + i));
                await(state.advance(room, T0 + i * 1_000L));
                await(state.finish(room, user, T0 + i));
                await(state.stats(room, T0 + i));
                await(state.config(room));
                if (i == -1) {
                    connection.sync().configResetstat();
                }
            }

            Map<String, Long> calls = CommandStats.calls(connection.sync().info("commandstats"));
            // commandstats counts the commands inside a script too (ZSCORE, HSET, ...); from the client
            // came only EVALSHA, one per operation, and HGETALL for config
            assertThat(calls).containsEntry("evalsha", 8L * rounds).containsEntry("hgetall", (long) rounds);
            assertThat(calls).doesNotContainKeys("eval", "multi", "exec", "script|load", "keys", "scan");
        }
    }

    @Test
    void scriptsFlushedFromRedis_areLoadedAgainTransparently() {
        QueueState state = state();
        await(state.enqueue(room, "before", T0));
        redis().scriptFlush();

        assertThat(await(state.enqueue(room, "after", T0)).standing()).isEqualTo(Standing.queued(2));
        assertThat(await(state.advance(room, T0)).admittedUsers()).containsExactly("before", "after");
    }

    @Test
    void anIdleRoom_keepsItsConfigAndStateOnly() {
        QueueState state = state();
        await(state.configure(room, config(2, 60, 0, 30), T0));
        for (String user : List.of("finishes", "expires", "abandoned", "abandoned-too")) {
            await(state.enqueue(room, user, T0));
        }
        assertThat(await(state.advance(room, T0 + 1)).admittedUsers()).containsExactly("finishes", "expires");
        await(state.finish(room, "finishes", T0 + 2));

        Advance late = await(state.advance(room, T0 + 1 + TTL));

        assertThat(late.expired()).isEqualTo(1);
        assertThat(late.abandoned()).isEqualTo(2);
        assertThat(roomKeys()).containsExactly(key("config"), key("state"));
        assertThat(redis().memoryUsage(key("state"))).isLessThan(512);
        QueueState.RoomStats stats = await(state.stats(room, T0 + 1 + TTL));
        assertThat(stats.queued() + stats.ready()).isZero();
        assertThat(List.of(stats.admittedTotal(), stats.finishedTotal(), stats.expiredTotal(), stats.abandonedTotal()))
                .containsExactly(2L, 1L, 1L, 2L);
    }

    @Test
    void moreExpiriesThanABatch_areSweptOverSeveralCalls_beforeTheTick() {
        QueueState state = RedisQueueState.withBatch(inspector.async(), prefix, 3);
        await(state.configure(room, config(7, 3_600, 0, 0), T0));
        for (int i = 0; i < 7; i++) {
            await(state.enqueue(room, "u" + i, T0));
        }
        assertThat(await(state.advance(room, T0)).nextWakeMillis()).isEqualTo(T0); // 3 admitted, more to come
        await(state.advance(room, T0));
        Advance last = await(state.advance(room, T0));
        assertThat(last.admittedUsers()).containsExactly("u6");
        assertThat(last.nextWakeMillis()).isEqualTo(T0 + 3_600_000);

        long expiry = T0 + TTL;
        List<Advance> sweeps = List.of(
                await(state.advance(room, expiry)),
                await(state.advance(room, expiry)),
                await(state.advance(room, expiry)));

        assertThat(sweeps).extracting(Advance::expired).containsExactly(3L, 3L, 1L);
        assertThat(sweeps).extracting(Advance::nextWakeMillis).containsExactly(expiry, expiry, T0 + 3_600_000);
        assertThat(sweeps).extracting(Advance::ticked).containsOnly(false);
        assertThat(await(state.stats(room, expiry)).expiredTotal()).isEqualTo(7);
    }

    @Test
    void moreAbandonmentsThanABatch_areSweptFirst_andNobodyDueToGoIsAdmitted() {
        QueueState state = RedisQueueState.withBatch(inspector.async(), prefix, 3);
        await(state.configure(room, config(1, 3_600, 0, 30), T0));
        for (int i = 0; i < 4; i++) {
            await(state.enqueue(room, "gone" + i, T0));
        }
        await(state.enqueue(room, "stays", T0 + 20_000));

        Advance first = await(state.advance(room, T0 + 30_000));
        Advance second = await(state.advance(room, T0 + 30_000));

        assertThat(first.abandoned()).isEqualTo(3);
        assertThat(first.ticked()).isFalse();
        assertThat(first.admittedUsers()).isEmpty();
        assertThat(first.nextWakeMillis()).isEqualTo(T0 + 30_000);
        assertThat(second.abandoned()).isEqualTo(1);
        assertThat(second.ticked()).isTrue();
        assertThat(second.admittedUsers()).containsExactly("stays");
    }

    @Test
    void aLastSeenTimeNeverGoesBack_soALaggingReplicaCannotHastenAbandonment() {
        QueueState state = state();
        await(state.configure(room, config(0, 3_600, 0, 30), T0));
        await(state.enqueue(room, "u", T0));
        await(state.status(room, "u", T0 + 20_000));
        await(state.status(room, "u", T0 + 5_000)); // a replica whose clock is behind

        assertThat(await(state.advance(room, T0 + 40_000)).abandoned()).isZero();
        assertThat(await(state.advance(room, T0 + 50_000)).abandoned()).isEqualTo(1);
    }

    @Test
    void anErrorReplyFailsTheStage_neverThrows() {
        QueueState state = state();
        redis().set(key("queue"), "not a sorted set");

        assertThat(failure(state.enqueue(room, "u", T0)))
                .isInstanceOf(RedisCommandExecutionException.class)
                .hasMessageContaining("WRONGTYPE");
    }

    @Test
    void redisGone_failsTheStage_neverThrows() {
        QueueState state = state();
        backend.close();
        backend = null;

        assertThat(failure(state.enqueue(room, "u", T0))).isNotNull();
        assertThat(failure(state.advance(room, T0))).isNotNull();
        assertThat(failure(state.config(room))).isNotNull();
    }

    @Test
    void positions_stayExactOverAThousandUsers_afterAbandonmentsAndAdmissions() {
        QueueState state = state();
        await(state.configure(room, config(100, 60, 0, 30), T0));
        List<String> line = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            state.enqueue(room, "u" + i, T0);
            line.add("u" + i);
        }
        for (int i = 0; i < 1_000; i += 3) {
            state.status(room, "u" + i, T0 + 20_000); // every third is seen again; the rest are abandoned
        }
        Advance advance = await(state.advance(room, T0 + 30_000));

        List<String> kept = line.stream()
                .filter(user -> Integer.parseInt(user.substring(1)) % 3 == 0)
                .collect(Collectors.toCollection(ArrayList::new));
        assertThat(advance.abandoned()).isEqualTo(1_000 - kept.size());
        assertThat(advance.admittedUsers()).isEqualTo(kept.subList(0, 100));
        kept.subList(0, 100).clear();
        for (int i = 0; i < kept.size(); i++) {
            assertThat(await(state.standing(room, kept.get(i), T0 + 30_000))).isEqualTo(Standing.queued(i + 1));
        }
    }
}
