package dev.gatehouse.server.room;

import static dev.gatehouse.server.room.RoomApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.http.StoreSettings;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.redis.RedisBackend;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.CommandStats;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.Race;
import dev.gatehouse.testing.RequiredServices;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.Tenant;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two servers sharing one Redis serve the same room on virtual time: what one is told the other
 * knows, and however many servers move the room, each tick admits once.
 */
class RoomRedisTest {

    private final String prefix = "gatehouse-test:" + UUID.randomUUID() + ":";
    private final String key = "redis-room-" + UUID.randomUUID();
    private final String room = Tenant.ofBusinessId(key).id();
    private final ManualClock clock = new ManualClock(1_800_000_000_000_000_000L);
    private final List<TestServer> servers = new ArrayList<>();

    @BeforeAll
    static void redisAnswers() {
        RequiredServices.redis();
    }

    @BeforeEach
    void start() {
        Map<Setting<?>, String> settings = new HashMap<>();
        settings.put(StoreSettings.TYPE, "redis");
        settings.put(StoreSettings.REDIS_URL, RequiredServices.REDIS_URL);
        settings.put(RoomSettings.STORE_KEY_PREFIX, prefix);
        settings.put(RoomSettings.BUSINESS_IDS, key);
        settings.put(RoomSettings.JWT_SECRET, RoomApiTest.SECRET);
        settings.put(RoomSettings.DRAW_VRF_KEY, "11".repeat(32));
        settings.put(RoomSettings.DRAW_SIGNING_KEY, "22".repeat(32));
        servers.add(TestServer.start(settings, clock));
        servers.add(TestServer.start(settings, clock));
        clock.advanceNanos(0); // the servers' first advance: the room's first tick
        Await.until(Duration.ofSeconds(10), () -> stats().ticks() >= 1);
    }

    @AfterEach
    void stop() {
        servers.forEach(TestServer::close);
    }

    private JsonNode call(int server, String method, String path, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "business_id";
        all[1] = key;
        System.arraycopy(headers, 0, all, 2, headers.length);
        HttpResponse<String> response = servers.get(server).send(method, path, all);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response);
    }

    /**
     * Changes the config through each server in turn: each then uses it at once (another server's
     * change reaches a server within a second of its clock, which these tests do not move for it).
     */
    private void configure(String body) {
        for (int server = 0; server < servers.size(); server++) {
            configure(server, body);
        }
    }

    private void configure(int server, String body) {
        HttpResponse<String> response = servers.get(server)
                .send(HttpRequest.newBuilder(servers.get(server).rate("/config"))
                        .header("business_id", key)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    private QueueState.RoomStats stats() {
        try (RedisBackend backend = RedisBackend.connect(RequiredServices.REDIS_URL)) {
            return backend.queueState(prefix)
                    .stats(room, clock.epochMillis())
                    .toCompletableFuture()
                    .join();
        }
    }

    private RoomConfig storedConfig() {
        try (RedisBackend backend = RedisBackend.connect(RequiredServices.REDIS_URL)) {
            return backend.queueState(prefix).config(room).toCompletableFuture().join();
        }
    }

    private QueueState.Prequeue prequeue() {
        try (RedisBackend backend = RedisBackend.connect(RequiredServices.REDIS_URL)) {
            return backend.queueState(prefix)
                    .prequeue(room)
                    .toCompletableFuture()
                    .join();
        }
    }

    /**
     * Both servers run the room's event: the pre-queue opens and the draw runs once, both serve the
     * same files, and both show each user the place those files give.
     */
    @Test
    void anEventIsDrawnOnceAndBothServersShowTheDrawnPlaces() throws Exception {
        long now = clock.epochMillis() / 1000;
        configure("{\"admission_limit\": 0, \"prequeue_opens_at\": " + (now + 60) + ", \"opens_at\": " + (now + 120)
                + "}");
        clock.advance(Duration.ofSeconds(60));
        // the servers' loops wait on Redis, then on the clock: moved on a little until they have run
        Await.until(Duration.ofSeconds(10), () -> {
            clock.advance(Duration.ofMillis(100));
            return prequeue() == QueueState.Prequeue.OPEN;
        });
        Map<String, JsonNode> enqueued = new HashMap<>();
        for (int i = 0; i < 20; i++) {
            JsonNode answer = call(i % 2, "POST", "/queue/enqueue", "user_id", "u" + i);
            assertThat(answer.get("prequeue").asBoolean()).isTrue();
            enqueued.put("u" + i, answer);
        }

        clock.advance(Duration.ofSeconds(60));
        Await.until(Duration.ofSeconds(10), () -> {
            clock.advance(Duration.ofMillis(100));
            return prequeue() == QueueState.Prequeue.ENDED;
        });

        String path = "/draw/" + room + "/";
        for (String file : List.of("commit", "record", "tickets")) {
            assertThat(servers.get(1).get(path + file).body())
                    .isEqualTo(servers.get(0).get(path + file).body());
        }
        byte[] recordFile =
                servers.get(0).get(path + "record").body().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        dev.gatehouse.waitingroom.draw.DrawRecord record = dev.gatehouse.waitingroom.draw.DrawVerifier.checkRecord(
                recordFile,
                null,
                servers.get(1).get(path + "commit").body().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        List<String> order = dev.gatehouse.waitingroom.draw.DrawVerifier.checkTickets(
                record,
                servers.get(1).get(path + "tickets").body().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(order).hasSize(20);
        for (Map.Entry<String, JsonNode> user : enqueued.entrySet()) {
            long place = 1 + order.indexOf(user.getValue().get("ticket").asText());
            for (int server = 0; server < 2; server++) {
                assertThat(call(
                                        server,
                                        "GET",
                                        "/queue/status",
                                        "jwt",
                                        user.getValue().get("jwt").asText())
                                .get("position")
                                .asLong())
                        .as(user.getKey() + " on server " + server)
                        .isEqualTo(place);
            }
        }
        assertThat(stats().queued()).isEqualTo(20);
    }

    @Test
    void whatOneServerIsToldTheOtherKnows() {
        configure("{\"admission_limit\": 0}");
        assertThat(call(1, "GET", "/config")
                        .get("updated_config")
                        .get("admission_limit")
                        .asLong())
                .isZero();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            tokens.add(call(i % 2, "POST", "/queue/enqueue", "user_id", "u" + i)
                    .get("jwt")
                    .asText());
        }
        for (int i = 0; i < 10; i++) {
            for (int server = 0; server < 2; server++) {
                assertThat(call(server, "GET", "/queue/status", "jwt", tokens.get(i))
                                .get("position")
                                .asLong())
                        .isEqualTo(i + 1);
            }
        }
        assertThat(call(1, "POST", "/queue/enqueue", "user_id", "u3")
                        .get("position")
                        .asLong())
                .isEqualTo(4);
    }

    /**
     * Changes of different fields sent at once, half through each server: each server reads the
     * config, changes its field and stores it, so without a check that the config is still the one
     * read, one server's write puts back a field the other had just changed.
     */
    @Test
    void configChangesSentAtOnceThroughBothServers_allStay() throws InterruptedException {
        List<Field> fields = List.of(Field.values());
        for (int round = 0; round < 5; round++) {
            int changed = round;
            AtomicInteger next = new AtomicInteger();
            Race.run(fields.size(), () -> {
                int index = next.getAndIncrement();
                Field field = fields.get(index);
                configure(index % 2, "{\"" + field.wireName() + "\": " + valueIn(field, changed) + "}");
            });
            RoomConfig stored = storedConfig();
            for (Field field : fields) {
                assertThat(field.of(stored))
                        .as("round %d: %s", round, field.wireName())
                        .isEqualTo(valueIn(field, round));
            }
        }
    }

    /** A value of {@code field} in its range for each round (the event's times stay unset: they have rules of their own). */
    private static long valueIn(Field field, int round) {
        return switch (field) {
            case PREQUEUE_OPENS_AT, OPENS_AT -> 0;
            case POW_DIFFICULTY -> 1 + round;
            default -> 100 + round;
        };
    }

    /** Per-IP limits are shared in Redis: polls from one address, spread over both servers, stay within the limit. */
    @Test
    void pollsFromOneAddress_overBothServers_stayWithinItsLimit() {
        configure("{\"admission_limit\": 0, \"ip_status_polling_limit\": 20,"
                + " \"ip_status_polling_limit_interval\": 60}");
        String token = call(0, "POST", "/queue/enqueue", "user_id", "poller")
                .get("jwt")
                .asText();
        int answered = 0;
        for (int i = 0; i < 60; i++) {
            HttpResponse<String> response =
                    servers.get(i % 2).send("GET", "/queue/status", "business_id", key, "jwt", token);
            if (response.statusCode() == 200) {
                answered++;
            } else {
                assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
            }
        }
        assertThat(answered).isEqualTo(20);
    }

    /** On Redis, a refusal answers as in memory: 429, the bound named, Retry-After and RateLimit headers. */
    @Test
    void aPerIpLimitOnRedis_answers429WithAdvice() {
        configure("{\"admission_limit\": 0, \"ip_enqueue_limit\": 2, \"ip_enqueue_limit_interval\": 60}");
        call(0, "POST", "/queue/enqueue", "user_id", "a");
        HttpResponse<String> allowed =
                servers.get(1).send("POST", "/queue/enqueue", "business_id", key, "user_id", "b");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("RateLimit-Policy")).hasValue("\"ip_enqueue\";q=2;w=60");
        assertThat(allowed.headers().firstValue("RateLimit"))
                .hasValueSatisfying(value -> assertThat(value).matches("\"ip_enqueue\";r=0;t=([1-9]|[1-5][0-9]|60)"));

        HttpResponse<String> refused =
                servers.get(0).send("POST", "/queue/enqueue", "business_id", key, "user_id", "c");

        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(json(refused).get("detail").asText()).contains("at most 2 per 60 s");
        assertThat(refused.headers().firstValue("Retry-After"))
                .hasValueSatisfying(value -> assertThat(Integer.parseInt(value)).isBetween(1, 60));
        assertThat(refused.headers().firstValue("RateLimit-Policy")).hasValue("\"ip_enqueue\";q=2;w=60");
        assertThat(stats().queued()).isEqualTo(2);
    }

    /**
     * In a room asking for a proof of work, the address's limit is decided before the work is
     * checked, in the same window as the enqueues that need none: an enqueue refused for its missing
     * work still counts, and a later enqueue without work to do finds the window used.
     */
    @Test
    void theLimitBeforeAProofOfWork_countsInTheEnqueuesWindow() {
        configure("{\"admission_limit\": 0, \"ip_enqueue_limit\": 2, \"ip_enqueue_limit_interval\": 60,"
                + " \"pow_difficulty\": 8}");
        HttpResponse<String> noWork = servers.get(0).send("POST", "/queue/enqueue", "business_id", key, "user_id", "a");
        assertThat(noWork.statusCode()).as(noWork.body()).isEqualTo(428);
        configure("{\"pow_difficulty\": 0}");
        clock.advance(Duration.ofSeconds(2)); // past the servers' cached config

        assertThat(servers.get(1)
                        .send("POST", "/queue/enqueue", "business_id", key, "user_id", "b")
                        .statusCode())
                .isEqualTo(200);
        assertThat(servers.get(0)
                        .send("POST", "/queue/enqueue", "business_id", key, "user_id", "c")
                        .statusCode())
                .isEqualTo(429);
    }

    /**
     * A poll and an enqueue are one script each, their per-IP limit decided inside it: one round trip
     * to Redis (the servers' clock stands still, so nothing else of theirs calls Redis meanwhile; the
     * count is the whole server's, as no other client runs during the suite).
     */
    @Test
    void aPollAndAnEnqueue_areOneScriptEach() {
        configure("{\"admission_limit\": 0}");
        String token =
                call(0, "POST", "/queue/enqueue", "user_id", "first").get("jwt").asText();
        call(0, "GET", "/queue/status", "jwt", token); // the scripts loaded, the config read
        long before = scriptCalls();
        for (int i = 0; i < 10; i++) {
            call(0, "GET", "/queue/status", "jwt", token);
            call(0, "POST", "/queue/enqueue", "user_id", "later-" + i);
        }
        assertThat(scriptCalls() - before).isEqualTo(20);
    }

    /** The scripts Redis has run, as INFO commandstats counts them. */
    private static long scriptCalls() {
        RedisClient client = RedisClient.create(RequiredServices.REDIS_URL);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            return CommandStats.scripts(connection.sync().info("commandstats"));
        } finally {
            client.shutdown();
        }
    }

    @Test
    void overManyTicksEachAdmitsTheLimitOnce() {
        configure("{\"admission_limit\": 3, \"admission_frequency\": 1, \"ip_enqueue_limit\": 1000}");
        for (int i = 0; i < 200; i++) {
            call(i % 2, "POST", "/queue/enqueue", "user_id", "u" + i);
        }
        long ticksBefore = stats().ticks();
        long admittedBefore = stats().admittedTotal();
        for (int step = 0; step < 20; step++) {
            clock.advance(Duration.ofSeconds(1));
            long due = ticksBefore + step + 1;
            Await.until(Duration.ofSeconds(10), () -> {
                // a room's run that found another still under way is run again at once, which on
                // this clock means at its next reading: moving it by nothing runs what is due now
                clock.advanceNanos(0);
                return stats().ticks() >= due;
            });
        }
        QueueState.RoomStats after = stats();
        assertThat(after.ticks() - ticksBefore).isEqualTo(20);
        assertThat(after.admittedTotal() - admittedBefore).isEqualTo(3L * 20);
        assertThat(after.queued() + after.ready()).isEqualTo(200);
    }
}
