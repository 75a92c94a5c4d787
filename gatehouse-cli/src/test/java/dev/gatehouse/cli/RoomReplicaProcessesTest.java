package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.redis.RedisBackend;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.RoomStats;
import dev.gatehouse.waitingroom.Tenant;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Three {@code gatehouse serve} processes sharing one Redis serve one waiting room: every replica
 * answers the same positions, each tick admits {@code admission_limit} users once however many
 * replicas move the room, and a replica killed with SIGKILL in the middle of admission and started
 * again loses no ticket, admits nobody twice and doubles no tick.
 */
class RoomReplicaProcessesTest {

    /*
     * Design: the replicas run for the whole class (starting three JVMs on two cores costs seconds;
     * the ticks the tests wait for cost the rest), and every test has a room of its own: the
     * processes serve three API keys, one per test, under a key prefix of this run. A test that
     * kills a replica starts it again; if it fails first, the next test starts it (everyReplicaUp).
     *
     * Time: ticks come every admission_frequency = 1 s of real time, so the tests wait for them, by
     * polling the room's counts in Redis with a bound, and then compare counts exactly; nothing
     * asserts how long anything took. A test pauses admission (admission_limit 0) while it enqueues,
     * then sets the limit and takes the counts at that moment as its baseline: every tick after the
     * config is stored admits with the new limit (the config is read inside the tick's script), and
     * the queue is made long enough never to run dry. It ends admission by setting
     * admission_frequency to an hour: the next tick is then an hour after the last, so the counts
     * and every position stay still while each user's standing is read. Ready users stay ready for
     * ready_ttl_seconds (600 by default), longer than the class runs, and abandonment is off, so at
     * the end every enqueued user must be either ready or queued.
     *
     * Counts alone cannot see a doubled tick that admits its limit (admitted = limit x ticks still
     * holds), so a TickWatch also reads the room every few milliseconds and checks each tick against
     * the schedule the room itself recorded: due, one period on, the limit admitted. Its "one period
     * on" asks that some replica advanced the room within a period (1 s) of each due time, which is
     * what "a tick is not lost when a replica dies" means; it is the one check a machine starved
     * for whole seconds could fail (seen failing in none of the runs, under load too).
     */

    private static final String REDIS_URL = RequiredServices.REDIS_URL;
    private static final int REPLICAS = 3;
    private static final long LIMIT = 5;
    private static final String UNLIMITED_CLIENT_IP =
            "\"ip_enqueue_limit\": 1000000, \"ip_status_polling_limit\": 1000000";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    /** Slack on top of one second per awaited tick: replicas starting or loaded may tick late, never early. */
    private static final Duration TICK_SLACK = Duration.ofSeconds(15);

    private static final String PREFIX = "gatehouse-test:" + UUID.randomUUID() + ":";
    private static final String POSITIONS_KEY = "replicas-positions-" + UUID.randomUUID();
    private static final String ADMISSION_KEY = "replicas-admission-" + UUID.randomUUID();
    private static final String CRASH_KEY = "replicas-crash-" + UUID.randomUUID();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(CALL_TIMEOUT).build();
    private static final List<ServeProcess> replicas = new ArrayList<>();
    private static @Nullable RedisBackend redis;

    @RegisterExtension
    static final TestWatcher PRINT_REPLICAS_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, @Nullable Throwable cause) {
            for (int i = 0; i < replicas.size(); i++) {
                ServeProcess replica = replicas.get(i);
                System.out.printf(
                        "--- replica %d (pid %d, %s), newest output:%n%s%n",
                        i, replica.pid(), replica.isAlive() ? "alive" : "ended", replica.output());
            }
        }
    };

    private record Ticket(String user, String jwt) {}

    private record Status(boolean ready, @Nullable Long position, boolean known) {}

    /**
     * Watches a room's ticks by reading its counts from Redis every few milliseconds, and checks each
     * tick it sees happen (one more tick between two reads) against the read before it: the tick ran
     * no earlier than it was due (an early one would be a second tick in a period), it moved the
     * schedule on by exactly one period (a bigger step means a period went without a tick), and it
     * admitted exactly the limit.
     */
    private static final class TickWatch implements AutoCloseable {
        private static final long FREQUENCY_MILLIS = 1_000;

        private final String key;
        private final Thread thread;
        private final List<String> problems = new ArrayList<>();
        private volatile boolean stopped;
        private long seen;

        TickWatch(String key) {
            this.key = key;
            this.thread = new Thread(this::watch, "tick-watch");
            thread.setDaemon(true);
            thread.start();
        }

        private void watch() {
            try {
                RoomStats before = stats(key);
                while (!stopped) {
                    RoomStats after = stats(key);
                    if (after.ticks() == before.ticks() + 1) {
                        check(before, after);
                    }
                    before = after;
                    Thread.sleep(5);
                }
            } catch (InterruptedException e) {
                // closed
            } catch (RuntimeException e) {
                synchronized (this) {
                    problems.add("stopped watching: " + e);
                }
            }
        }

        private synchronized void check(RoomStats before, RoomStats after) {
            seen++;
            if (after.lastTickMillis() < before.nextTickMillis()) {
                problems.add("tick %d ran at %d, before it was due at %d"
                        .formatted(after.ticks(), after.lastTickMillis(), before.nextTickMillis()));
            }
            if (after.nextTickMillis() != before.nextTickMillis() + FREQUENCY_MILLIS) {
                problems.add("tick %d moved the next tick from %d to %d, not by one period"
                        .formatted(after.ticks(), before.nextTickMillis(), after.nextTickMillis()));
            }
            if (after.admittedTotal() - before.admittedTotal() != LIMIT) {
                problems.add(
                        "tick %d admitted %d".formatted(after.ticks(), after.admittedTotal() - before.admittedTotal()));
            }
        }

        /** Stops watching; checks every tick seen, and that it saw most of the {@code ticks} that happened. */
        void assertEveryTickOnTime(long ticks) {
            close();
            synchronized (this) {
                assertThat(problems).as("ticks seen: %d of %d", seen, ticks).isEmpty();
                assertThat(seen).as("ticks seen of %d", ticks).isGreaterThanOrEqualTo(ticks / 2);
            }
        }

        @Override
        public void close() {
            stopped = true;
            thread.interrupt();
            try {
                thread.join(CALL_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @BeforeAll
    static void startReplicas() {
        RequiredServices.redis();
        redis = RedisBackend.connect(REDIS_URL);
        Map<String, String> environment = Map.of(
                "BUSINESS_IDS",
                String.join(":", POSITIONS_KEY, ADMISSION_KEY, CRASH_KEY),
                "JWT_SECRET",
                UUID.randomUUID() + "-" + UUID.randomUUID());
        for (int i = 0; i < REPLICAS; i++) {
            replicas.add(ServeProcess.start(
                    environment,
                    "--store",
                    "redis",
                    "--redis-url",
                    REDIS_URL,
                    "--store-key-prefix",
                    PREFIX,
                    "--room-key-prefix",
                    PREFIX));
        }
        replicas.forEach(replica -> replica.port("room API"));
    }

    @AfterAll
    static void stopReplicas() {
        try {
            replicas.forEach(ServeProcess::close);
            replicas.clear();
        } finally {
            if (redis != null) {
                redis.close();
                deleteKeys(PREFIX);
            }
        }
    }

    @BeforeEach
    void everyReplicaUp() {
        for (int i = 0; i < replicas.size(); i++) {
            if (!replicas.get(i).isAlive()) {
                replicas.set(i, replicas.get(i).restarted());
            }
        }
        replicas.forEach(replica -> replica.port("room API"));
    }

    @Test
    void positions_enqueuedThroughAnyReplica_agreeOnEveryReplica() {
        configure(0, POSITIONS_KEY, "{\"admission_limit\": 0, " + UNLIMITED_CLIENT_IP + "}");

        List<Ticket> tickets = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            JsonNode enqueued = enqueue(i % REPLICAS, POSITIONS_KEY, "user-" + i);
            assertThat(enqueued.get("position").asLong()).isEqualTo(i + 1);
            tickets.add(new Ticket("user-" + i, jwtOf(enqueued)));
        }
        for (int i = 0; i < tickets.size(); i++) {
            for (int replica = 0; replica < REPLICAS; replica++) {
                Status status = status(replica, POSITIONS_KEY, tickets.get(i));
                assertThat(status)
                        .as("user-%d on replica %d", i, replica)
                        .isEqualTo(new Status(/* ready= */ false, (long) i + 1, /* known= */ true));
            }
        }
        JsonNode again = enqueue(2, POSITIONS_KEY, "user-4");
        assertThat(again.get("jwt").asText())
                .as("a queued user enqueued again gets no second ticket")
                .isEmpty();
        assertThat(again.get("position").asLong()).isEqualTo(5);
        RoomStats stats = stats(POSITIONS_KEY);
        assertThat(stats.queued()).isEqualTo(30);
        assertThat(stats.ready()).isZero();
        assertThat(stats.admittedTotal()).isZero();
    }

    @Test
    void admission_overFifteenTicksOnThreeReplicas_admitsExactlyTheLimitPerTick() {
        int ticks = 15;
        configure(
                0, ADMISSION_KEY, "{\"admission_limit\": 0, \"admission_frequency\": 1, " + UNLIMITED_CLIENT_IP + "}");
        List<Ticket> tickets = enqueueUsers(ADMISSION_KEY, "user-", (int) LIMIT * (ticks + 15));

        configure(1, ADMISSION_KEY, "{\"admission_limit\": " + LIMIT + "}");
        RoomStats baseline = stats(ADMISSION_KEY);
        try (TickWatch watch = new TickWatch(ADMISSION_KEY)) {
            for (int checkpoint = 5; checkpoint <= ticks; checkpoint += 5) {
                RoomStats now = awaitTicks(ADMISSION_KEY, baseline.ticks() + checkpoint);
                assertAdmittedLimitPerTick(baseline, now);
                assertThat(now.queued() + now.ready()).isEqualTo(tickets.size());
            }
            watch.assertEveryTickOnTime(stats(ADMISSION_KEY).ticks() - baseline.ticks());
        }

        RoomStats last = endAdmission(2, ADMISSION_KEY);
        assertAdmittedLimitPerTick(baseline, last);
        assertEveryTicketAccountedFor(ADMISSION_KEY, tickets);
    }

    @Test
    void replicaKilledDuringAdmission_losesNoTicket_admitsNobodyTwice_doublesNoTick() {
        configure(0, CRASH_KEY, "{\"admission_limit\": 0, \"admission_frequency\": 1, " + UNLIMITED_CLIENT_IP + "}");
        List<Ticket> tickets = new ArrayList<>(enqueueUsers(CRASH_KEY, "early-", (int) LIMIT * 40));

        configure(1, CRASH_KEY, "{\"admission_limit\": " + LIMIT + "}");
        RoomStats baseline = stats(CRASH_KEY);
        try (TickWatch watch = new TickWatch(CRASH_KEY)) {
            assertAdmittedLimitPerTick(baseline, awaitTicks(CRASH_KEY, baseline.ticks() + 3));

            // Aimed at a tick: all three replicas wake to advance the room then, so the one killed is
            // likely in the middle of an advance (its script sent or not, never half run).
            awaitWallClock(stats(CRASH_KEY).nextTickMillis());
            ServeProcess killed = replicas.get(2);
            killed.kill();
            RoomStats killedAt = stats(CRASH_KEY);
            assertAdmittedLimitPerTick(baseline, killedAt);

            tickets.addAll(enqueueUsers(CRASH_KEY, "while-down-", (int) LIMIT * 2, 0, 1));
            assertAdmittedLimitPerTick(baseline, awaitTicks(CRASH_KEY, killedAt.ticks() + 3));
            assertThat(stats(CRASH_KEY).queued()).isPositive();

            replicas.set(2, killed.restarted());
            replicas.get(2).port("room API");
            RoomStats restartedAt = stats(CRASH_KEY);
            JsonNode readyAgain = enqueue(2, CRASH_KEY, tickets.getFirst().user());
            assertThat(readyAgain.get("jwt").asText())
                    .as("a ready user enqueued again gets no second ticket")
                    .isEmpty();
            assertThat(readyAgain.get("position").asLong()).isZero();
            JsonNode queuedAgain = enqueue(2, CRASH_KEY, tickets.getLast().user());
            assertThat(queuedAgain.get("jwt").asText())
                    .as("a queued user enqueued again gets no second ticket")
                    .isEmpty();
            assertThat(queuedAgain.get("position").asLong()).isPositive();
            tickets.addAll(enqueueUsers(CRASH_KEY, "after-restart-", (int) LIMIT * 2, 2));
            RoomStats afterRestart = awaitTicks(CRASH_KEY, restartedAt.ticks() + 3);
            assertAdmittedLimitPerTick(baseline, afterRestart);
            assertThat(afterRestart.queued() + afterRestart.ready()).isEqualTo(tickets.size());
            watch.assertEveryTickOnTime(stats(CRASH_KEY).ticks() - baseline.ticks());
        }

        RoomStats last = endAdmission(0, CRASH_KEY);
        assertAdmittedLimitPerTick(baseline, last);
        assertEveryTicketAccountedFor(CRASH_KEY, tickets);
    }

    /**
     * Every tick since {@code baseline} admitted exactly the limit: the admitted count grew by the
     * limit times the ticks, read together in one atomic look at the room, while users still waited.
     */
    private static void assertAdmittedLimitPerTick(RoomStats baseline, RoomStats now) {
        long ticks = now.ticks() - baseline.ticks();
        assertThat(now.queued())
                .as("users still waiting (else a tick may rightly admit fewer)")
                .isPositive();
        assertThat(now.admittedTotal() - baseline.admittedTotal())
                .as("admitted over %d ticks since the baseline %s, now %s", ticks, baseline, now)
                .isEqualTo(LIMIT * ticks);
    }

    /**
     * With the room still: each ticket is exactly one of ready or queued, the ready ones are the
     * first in enqueue order (each admitted once: as many ready users as admissions), the queued ones
     * hold positions 1..q in enqueue order on whichever replica answers, and the room's totals add
     * up to the enqueued users.
     */
    private static void assertEveryTicketAccountedFor(String key, List<Ticket> tickets) {
        RoomStats stats = stats(key);
        assertThat(stats.queued()
                        + stats.ready()
                        + stats.expiredTotal()
                        + stats.finishedTotal()
                        + stats.abandonedTotal())
                .as("queued + ready + expired + finished + abandoned = enqueued, in %s", stats)
                .isEqualTo(tickets.size());
        assertThat(stats.expiredTotal() + stats.finishedTotal() + stats.abandonedTotal())
                .isZero();
        assertThat(stats.ready()).as("ready users = admissions").isEqualTo(stats.admittedTotal());

        List<String> ready = new ArrayList<>();
        List<Long> positions = new ArrayList<>();
        for (int i = 0; i < tickets.size(); i++) {
            Ticket ticket = tickets.get(i);
            Status status = status(i % REPLICAS, key, ticket);
            assertThat(status.known()).as("%s lost its ticket", ticket.user()).isTrue();
            if (status.ready()) {
                ready.add(ticket.user());
            } else {
                positions.add(status.position());
            }
        }
        Set<String> distinct = new HashSet<>(ready);
        assertThat(distinct).hasSameSizeAs(ready);
        assertThat(ready)
                .as("the ready users are the first enqueued, each once")
                .containsExactlyElementsOf(tickets.subList(0, (int) stats.ready()).stream()
                        .map(Ticket::user)
                        .toList());
        assertThat(positions)
                .as("the queued users hold 1..q in enqueue order, no gap, no repeat")
                .containsExactlyElementsOf(
                        LongStream.rangeClosed(1, stats.queued()).boxed().toList());
    }

    /**
     * Stops admission for good (the next tick an hour after the last) and returns the room's counts
     * once it is still; the config is stored before the call answers, and no tick runs after it.
     */
    private static RoomStats endAdmission(int replica, String key) {
        configure(replica, key, "{\"admission_frequency\": 3600}");
        RoomStats stats = stats(key);
        assertThat(stats.nextTickMillis() - stats.lastTickMillis()).isEqualTo(3_600_000L);
        return stats;
    }

    /** Enqueues {@code count} new users named {@code prefix} + i, in order, through the replicas given in turn. */
    private static List<Ticket> enqueueUsers(String key, String prefix, int count, int... through) {
        List<Ticket> tickets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String user = prefix + i;
            JsonNode enqueued = enqueue(through.length == 0 ? i % REPLICAS : through[i % through.length], key, user);
            tickets.add(new Ticket(user, jwtOf(enqueued)));
        }
        return tickets;
    }

    private static String jwtOf(JsonNode enqueued) {
        String jwt = enqueued.get("jwt").asText();
        assertThat(jwt).as("a new user's ticket, in %s", enqueued).isNotEmpty();
        return jwt;
    }

    private static JsonNode enqueue(int replica, String key, String user) {
        return call(
                replica,
                key,
                HttpRequest.newBuilder(uri(replica, "/queue/enqueue"))
                        .header("user_id", user)
                        .POST(HttpRequest.BodyPublishers.noBody()));
    }

    private static Status status(int replica, String key, Ticket ticket) {
        JsonNode answer = call(
                replica,
                key,
                HttpRequest.newBuilder(uri(replica, "/queue/status"))
                        .header("jwt", ticket.jwt())
                        .GET());
        JsonNode position = answer.get("position");
        return new Status(
                answer.get("ready").asBoolean(),
                position.isNull() ? null : position.asLong(),
                answer.get("warning_msg").isNull());
    }

    /**
     * Changes the config through {@code replica}, then the same through every other replica alive:
     * each then uses it at once for its routes (another replica's change reaches one within a second).
     */
    private static void configure(int replica, String key, String body) {
        for (int i = 0; i < replicas.size(); i++) {
            int through = (replica + i) % replicas.size();
            if (through == replica || replicas.get(through).isAlive()) {
                call(
                        through,
                        key,
                        HttpRequest.newBuilder(uri(through, "/config"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body)));
            }
        }
    }

    private static URI uri(int replica, String path) {
        return URI.create("http://127.0.0.1:" + replicas.get(replica).port("room API") + path);
    }

    /** The JSON answer of a call that must succeed (200). */
    private static JsonNode call(int replica, String key, HttpRequest.Builder request) {
        HttpResponse<String> response;
        try {
            response = HTTP.send(
                    request.header("business_id", key).timeout(CALL_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("replica " + replica + " did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertThat(response.statusCode())
                .as("%s on replica %d: %s", response.request().uri(), replica, response.body())
                .isEqualTo(200);
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }

    /** The room's counts, read straight from Redis in one atomic step. */
    private static RoomStats stats(String key) {
        QueueState state = requireRedis().queueState(PREFIX);
        return state.stats(Tenant.ofBusinessId(key).id(), System.currentTimeMillis())
                .toCompletableFuture()
                .join();
    }

    /** The room's counts once it has ticked {@code ticks} times in all; fails after a bound. */
    private static RoomStats awaitTicks(String key, long ticks) {
        long missing = Math.max(0, ticks - stats(key).ticks());
        Duration bound = Duration.ofSeconds(missing).plus(TICK_SLACK);
        await(bound, () -> stats(key).ticks() >= ticks, () -> "room ticked " + ticks + " times");
        return stats(key);
    }

    /** Returns once the wall clock reads {@code epochMillis} (at most a second or so ahead). */
    private static void awaitWallClock(long epochMillis) {
        Duration bound = Duration.ofMillis(Math.max(0, epochMillis - System.currentTimeMillis()))
                .plus(TICK_SLACK);
        await(bound, () -> System.currentTimeMillis() >= epochMillis, () -> "the clock reached " + epochMillis);
    }

    private static void await(Duration bound, BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("%s within %s", what.get(), bound).isLessThan(deadline);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private static RedisBackend requireRedis() {
        RedisBackend backend = redis;
        if (backend == null) {
            throw new IllegalStateException("Redis is not connected");
        }
        return backend;
    }

    /** Removes what this run left in Redis: every key under {@code prefix}. */
    private static void deleteKeys(String prefix) {
        RedisClient client = RedisClient.create(REDIS_URL);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> commands = connection.sync();
            ScanArgs matching = ScanArgs.Builder.matches(prefix + "*").limit(1000);
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = commands.scan(cursor, matching);
                if (!page.getKeys().isEmpty()) {
                    commands.unlink(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
        } finally {
            client.shutdown();
        }
    }
}
