package dev.gatehouse.redis.room;

import static dev.gatehouse.testing.Stages.await;
import static dev.gatehouse.testing.Stages.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.redis.PrivateRedis;
import dev.gatehouse.redis.RedisBackend;
import dev.gatehouse.redis.TestRedis;
import dev.gatehouse.testing.CommandStats;
import dev.gatehouse.testing.Stages;
import dev.gatehouse.testing.room.VisitorCallsContract;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Enqueued;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.VisitorCalls;
import dev.gatehouse.waitingroom.VisitorCalls.AddressLimit;
import dev.gatehouse.waitingroom.VisitorCalls.Kind;
import dev.gatehouse.waitingroom.VisitorCalls.Limited;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RedisVisitorCallsTest extends VisitorCallsContract {

    private static final long T0 = 1_800_000_000_000L;

    private static RedisClient inspectorClient;
    private static StatefulRedisConnection<String, String> inspector;

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
    private final List<RedisBackend> backends = new ArrayList<>();

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
        return backend().queueState(prefix);
    }

    @Override
    protected VisitorCalls callsOn(QueueState state) {
        return backend().visitorCalls(prefix);
    }

    /** A node of its own: its own connection to the shared Redis. */
    private RedisBackend backend() {
        RedisBackend backend = TestRedis.connect();
        backends.add(backend);
        return backend;
    }

    @AfterEach
    void closeAndForget() {
        backends.forEach(RedisBackend::close);
        List<String> keys = redis().keys(prefix + "*");
        if (!keys.isEmpty()) {
            redis().del(keys.toArray(String[]::new));
        }
    }

    private static RedisCommands<String, String> redis() {
        return inspector.sync();
    }

    @Test
    void anAddressesWindow_isAKeyOfTheRoomsSlot_thatExpiresThreeWindowsAfterItsWindowEnds() {
        VisitorCalls calls = backend().visitorCalls(prefix);
        String room = "room-" + UUID.randomUUID();
        await(calls.enqueue(room, "u", T0, new AddressLimit(Kind.ENQUEUE, "2001:db8::1", 5, 60)));
        await(calls.limit(room, new AddressLimit(Kind.STATUS, "}{x", 5, 60)));

        String enqueues = RedisQueueState.key(prefix, room, "ip:enqueue:2001:db8::1");
        String polls = RedisQueueState.key(prefix, room, "ip:status:}{x");
        String queue = RedisQueueState.key(prefix, room, "queue");
        assertThat(SlotHash.getSlot(enqueues)).isEqualTo(SlotHash.getSlot(queue));
        assertThat(SlotHash.getSlot(polls)).isEqualTo(SlotHash.getSlot(queue));
        assertThat(redis().pttl(enqueues)).isBetween(3 * 60_000L, 4 * 60_000L + 1);
        assertThat(redis().pttl(polls)).isBetween(3 * 60_000L, 4 * 60_000L + 1);
    }

    /** Replicas share an address's window: calls spread over two nodes stay within the limit. */
    @Test
    void callsOverTwoNodes_stayWithinTheLimit() {
        List<VisitorCalls> nodes =
                List.of(backend().visitorCalls(prefix), backend().visitorCalls(prefix));
        String room = "room-" + UUID.randomUUID();
        AddressLimit limit = new AddressLimit(Kind.STATUS, "192.0.2.9", 20, 3_600);
        int made = 0;
        for (int i = 0; i < 60; i++) {
            if (await(nodes.get(i % 2).status(room, "u", T0, limit)).result().isPresent()) {
                made++;
            }
        }
        assertThat(made).isEqualTo(20);
    }

    /**
     * The point of the port: a limited poll or enqueue is one script, one round trip (commandstats
     * also counts what the scripts run, so only the scripts' own count is asserted).
     */
    @Test
    void aLimitedCall_isOneEvalsha() {
        try (PrivateRedis server = PrivateRedis.start();
                RedisBackend own = RedisBackend.connect(server.url());
                RedisClient admin = RedisClient.create(server.url());
                StatefulRedisConnection<String, String> connection = admin.connect()) {
            VisitorCalls calls = own.visitorCalls(prefix);
            AddressLimit enqueues = new AddressLimit(Kind.ENQUEUE, "192.0.2.10", 1_000, 3_600);
            AddressLimit polls = new AddressLimit(Kind.STATUS, "192.0.2.10", 1_000, 3_600);
            int rounds = 20;
            for (int i = -1; i < rounds; i++) { // round -1 loads the scripts (EVAL once each)
                await(calls.enqueue("r", "u" + i, T0, enqueues));
                await(calls.status("r", "u" + i, T0, polls));
                await(calls.limit("r", enqueues));
                if (i == -1) {
                    connection.sync().configResetstat();
                }
            }

            Map<String, Long> commands = CommandStats.calls(connection.sync().info("commandstats"));
            // commandstats counts the commands inside a script too (TIME, GET, SET, ZSCORE, ...)
            assertThat(commands).containsEntry("evalsha", 3L * rounds);
            assertThat(commands).doesNotContainKeys("eval", "multi", "exec", "hgetall");
        }
    }

    /**
     * Calls made while one is out go together: four threads make 1,000 calls on one room while Redis
     * holds the first script (CLIENT PAUSE WRITE), so the other 999 wait and go in batches of at most
     * MOST_CALLS_PER_BATCH. They mix enqueues from two addresses with limits of their own and polls
     * under a third limit; each is still decided as if it ran alone: exactly each window's limit
     * passes, the users who passed hold the places after the first user's, one each, no refused user
     * is queued, and every poll that passed saw the first user at its place.
     */
    @Test
    void callsMadeWhileOneIsOut_goInBatches_eachDecidedAsIfAlone() throws Exception {
        try (PrivateRedis server = PrivateRedis.start();
                RedisBackend own = RedisBackend.connect(server.url(), Stages.PATIENCE);
                RedisClient admin = RedisClient.create(server.url());
                StatefulRedisConnection<String, String> connection = admin.connect()) {
            VisitorCalls calls = own.visitorCalls(prefix);
            AddressLimit fromA = new AddressLimit(Kind.ENQUEUE, "192.0.2.20", 151, 3_600);
            AddressLimit fromB = new AddressLimit(Kind.ENQUEUE, "192.0.2.21", 100, 3_600);
            AddressLimit pollsFromA = new AddressLimit(Kind.STATUS, "192.0.2.20", 50, 3_600);
            await(calls.enqueue("r", "first", T0, fromA)); // loads the script; one of A's enqueues
            connection.sync().configResetstat();
            connection
                    .sync()
                    .dispatch(
                            CommandType.CLIENT,
                            new StatusOutput<>(StringCodec.UTF8),
                            new CommandArgs<>(StringCodec.UTF8)
                                    .add("PAUSE")
                                    .add(Stages.PATIENCE.toMillis())
                                    .add("WRITE"));

            int threads = 4;
            int perThread = 250;
            ExecutorService callers = Executors.newFixedThreadPool(threads);
            Map<String, CompletionStage<Limited<Enqueued>>> enqueues = new ConcurrentHashMap<>();
            List<CompletionStage<Limited<Standing>>> polls = Collections.synchronizedList(new ArrayList<>());
            try {
                List<Future<?>> submitted = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    submitted.add(callers.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            switch (i % 3) {
                                case 0 ->
                                    enqueues.put(
                                            "a" + thread + "-" + i,
                                            calls.enqueue("r", "a" + thread + "-" + i, T0, fromA));
                                case 1 ->
                                    enqueues.put(
                                            "b" + thread + "-" + i,
                                            calls.enqueue("r", "b" + thread + "-" + i, T0, fromB));
                                default -> polls.add(calls.status("r", "first", T0, pollsFromA));
                            }
                        }
                    }));
                }
                for (Future<?> done : submitted) {
                    done.get();
                }
            } finally {
                callers.shutdownNow();
                connection
                        .sync()
                        .dispatch(
                                CommandType.CLIENT,
                                new StatusOutput<>(StringCodec.UTF8),
                                new CommandArgs<>(StringCodec.UTF8).add("UNPAUSE"));
            }

            Map<String, Optional<Enqueued>> results = new HashMap<>();
            enqueues.forEach((user, stage) -> results.put(user, await(stage).result()));
            List<Optional<Standing>> seen =
                    polls.stream().map(stage -> await(stage).result()).toList();
            Map<String, Long> commands = CommandStats.calls(connection.sync().info("commandstats"));
            int batched = threads * perThread - 1; // the first goes alone; the others wait for it
            assertThat(commands)
                    .containsEntry("evalsha", 1L + Math.ceilDiv(batched, RedisQueueState.MOST_CALLS_PER_BATCH));

            assertThat(seen.stream().filter(Optional::isPresent))
                    .hasSize(50)
                    .allSatisfy(standing -> assertThat(standing).contains(Standing.queued(1)));
            QueueState state = own.queueState(prefix);
            List<Long> places = new ArrayList<>();
            Map<Character, Integer> queuedFrom = new HashMap<>();
            results.forEach((user, enqueued) -> {
                Standing standing = await(state.standing("r", user, T0));
                if (enqueued.isPresent()) {
                    assertThat(enqueued.get().added()).isTrue();
                    assertThat(standing).isEqualTo(enqueued.get().standing());
                    places.add(enqueued.get().standing().position());
                    queuedFrom.merge(user.charAt(0), 1, Integer::sum);
                } else {
                    assertThat(standing).isEqualTo(Standing.UNKNOWN);
                }
            });
            assertThat(queuedFrom).containsOnly(Map.entry('a', 150), Map.entry('b', 100));
            assertThat(places)
                    .containsExactlyInAnyOrderElementsOf(
                            LongStream.rangeClosed(2, 251).boxed().toList());
        }
    }

    @Test
    void withRedisDown_aLimitAloneLetsTheCallThrough_andALimitedCallFails() {
        try (PrivateRedis server = PrivateRedis.start();
                RedisBackend own = RedisBackend.connect(server.url(), Duration.ofMillis(200))) {
            VisitorCalls calls = own.visitorCalls(prefix);
            AddressLimit limit = new AddressLimit(Kind.ENQUEUE, "192.0.2.11", 5, 60);
            assertThat(await(calls.enqueue("r", "u", T0, limit)).result()).isPresent();
            server.kill();

            assertThat(await(calls.limit("r", limit))).isEmpty();
            assertThat(failure(calls.status("r", "u", T0, limit))).isNotNull();
        }
    }

    @Test
    void aRefusedEnqueue_leavesTheUserUnknown_evenToAnotherNode() {
        String room = "room-" + UUID.randomUUID();
        VisitorCalls calls = backend().visitorCalls(prefix);
        AddressLimit limit = new AddressLimit(Kind.ENQUEUE, "192.0.2.12", 1, 3_600);
        await(calls.enqueue(room, "first", T0, limit));
        assertThat(await(calls.enqueue(room, "second", T0, limit)).result()).isEmpty();
        assertThat(await(backend().queueState(prefix).standing(room, "second", T0)))
                .isEqualTo(Standing.UNKNOWN);
    }
}
