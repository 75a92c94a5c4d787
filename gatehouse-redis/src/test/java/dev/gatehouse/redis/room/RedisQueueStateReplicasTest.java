package dev.gatehouse.redis.room;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.redis.RedisBackend;
import dev.gatehouse.redis.TestRedis;
import dev.gatehouse.testing.Race;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Advance;
import dev.gatehouse.waitingroom.QueueState.Finish;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Replicas, each with a Redis connection of its own, advancing, enqueueing and finishing in one room
 * at once, their calls interleaving in Redis in any order (and so their times too): each tick
 * happens once, each user is admitted once, the seats are never exceeded, and every count adds up.
 */
class RedisQueueStateReplicasTest {

    private static final long T0 = 1_800_000_000_000L;
    private static final int REPLICAS = 3;
    private static final int LIMIT = 20;
    private static final int SEATS = 4;
    private static final int STEPS = 150;
    private static final String DONE = "\u0000done";

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
    private final String room = "replicas-" + UUID.randomUUID();
    private final List<RedisBackend> backends = new ArrayList<>();

    @AfterEach
    void closeAndForget() {
        backends.forEach(RedisBackend::close);
        try (RedisClient client = RedisClient.create(TestRedis.URL);
                StatefulRedisConnection<String, String> connection = client.connect()) {
            for (String part :
                    List.of("config", "state", "queue", "seen", "ready", "enqueued", "registered", "late", "draw")) {
                connection.sync().del(RedisQueueState.key(prefix, room, part));
            }
        }
    }

    @RepeatedTest(3)
    void replicasOnSeparateConnections_tickOnce_admitEachUserOnce_neverOverTheSeats() throws InterruptedException {
        List<QueueState> replicas = new ArrayList<>();
        for (int i = 0; i < REPLICAS; i++) {
            RedisBackend backend = TestRedis.connect();
            backends.add(backend);
            replicas.add(backend.queueState(prefix));
        }
        RoomConfig config = RoomConfig.DEFAULTS.with(Map.of(
                Field.ADMISSION_LIMIT, (long) LIMIT,
                Field.ADMISSION_FREQUENCY, 1L,
                Field.MAX_ACTIVE_USERS, (long) SEATS));
        await(replicas.get(0).configure(room, config, T0));

        AtomicInteger roles = new AtomicInteger();
        AtomicLong clock = new AtomicLong(T0);
        ConcurrentLinkedQueue<String> admitted = new ConcurrentLinkedQueue<>();
        BlockingQueue<String> toFinish = new LinkedBlockingQueue<>(); // each advancer ends its part with DONE
        ConcurrentLinkedQueue<String> finished = new ConcurrentLinkedQueue<>();
        AtomicInteger notCleared = new AtomicInteger();
        AtomicInteger ticks = new AtomicInteger();
        AtomicInteger enqueued = new AtomicInteger();
        AtomicLong mostReady = new AtomicLong();

        Race.run(REPLICAS * 3, () -> {
            int role = roles.getAndIncrement();
            QueueState replica = replicas.get(role % REPLICAS);
            switch (role / REPLICAS) {
                case 0 -> { // advances, then says it is done (also when it fails: no finisher waits forever)
                    try {
                        for (int i = 0; i < STEPS; i++) {
                            Advance advance = await(replica.advance(room, clock.addAndGet(100)));
                            admitted.addAll(advance.admittedUsers());
                            toFinish.addAll(advance.admittedUsers());
                            if (advance.ticked()) {
                                ticks.incrementAndGet();
                            }
                            mostReady.accumulateAndGet(
                                    await(replica.stats(room, clock.get())).ready(), Math::max);
                        }
                    } finally {
                        toFinish.add(DONE);
                    }
                }
                case 1 -> { // enqueues users of its own
                    for (int i = 0; i < STEPS; i++) {
                        if (await(replica.enqueue(room, "r" + role + "-" + i, clock.get()))
                                .added()) {
                            enqueued.incrementAndGet();
                        }
                    }
                }
                default -> { // finishes admitted users until an advancer is done
                    String user;
                    while (!DONE.equals(user = take(toFinish))) {
                        finished.add(user);
                        if (await(replica.finish(room, user, clock.get())) != Finish.READY_CLEARED) {
                            notCleared.incrementAndGet();
                        }
                    }
                }
            }
        });

        RoomStats stats = await(replicas.get(0).stats(room, clock.get()));
        assertThat(new HashSet<>(admitted)).hasSameSizeAs(admitted);
        assertThat(notCleared.get()).isZero();
        assertThat(finished).isNotEmpty(); // seats were freed and taken again
        assertThat(enqueued.get()).isEqualTo(REPLICAS * STEPS);
        assertThat(stats.ticks()).isEqualTo(ticks.get());
        assertThat(stats.admittedTotal()).isEqualTo(admitted.size());
        assertThat(admitted.size()).isLessThanOrEqualTo(LIMIT * ticks.get());
        assertThat(mostReady.get()).isLessThanOrEqualTo(SEATS);
        assertThat(stats.finishedTotal()).isEqualTo(finished.size());
        assertThat(stats.expiredTotal()).isZero(); // the run spans less than the ready TTL
        assertThat(stats.admittedTotal() + stats.queued()).isEqualTo(enqueued.get());
        assertThat(stats.admittedTotal()).isEqualTo(stats.ready() + stats.finishedTotal());
        for (String user : admitted) {
            boolean ready =
                    await(replicas.get(1).standing(room, user, clock.get())).isReady();
            assertThat(ready).isNotEqualTo(finished.contains(user));
        }
    }

    private static String take(BlockingQueue<String> queue) {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
