package dev.gatehouse.redis;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.core.keyed.KeyedRateLimiter;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.LimitSpec;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Finish;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.VisitorCalls;
import dev.gatehouse.waitingroom.VisitorCalls.AddressLimit;
import dev.gatehouse.waitingroom.VisitorCalls.Kind;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Redis adapters against a three-node Redis Cluster of the test's own. */
class RedisClusterTest {

    private static PrivateRedisCluster cluster;
    private static RedisBackend backend;

    @BeforeAll
    static void startCluster() {
        cluster = PrivateRedisCluster.start();
        backend = RedisBackend.connectCluster(cluster.urls(), Duration.ofSeconds(1));
    }

    @AfterAll
    static void stopCluster() {
        if (backend != null) {
            backend.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyAlgorithm_decidesOnKeysSpreadOverAllSlots() {
        KeyedRateLimiter limiter = backend.rateLimiter("cluster:");
        List<LimitSpec> specs = List.of(
                LimitSpec.fixedWindow(2, Duration.ofMinutes(1)),
                LimitSpec.slidingWindow(2, Duration.ofMinutes(1)),
                LimitSpec.tokenBucket(2, 1, Duration.ofMinutes(1)),
                LimitSpec.concurrency(2));
        Set<Integer> slots = new HashSet<>();
        for (int key = 0; key < 30; key++) {
            slots.add(SlotHash.getSlot("user-" + key) * 3 / SlotHash.SLOT_COUNT);
            for (LimitSpec spec : specs) {
                List<CompletableFuture<Decision>> decisions = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    decisions.add(limiter.decide("user-" + key, spec, 1).toCompletableFuture());
                }
                // calls in flight together are decided in no promised order: the first ones on a node
                // that lacks the script go again with EVAL after its NOSCRIPT, behind a later EVALSHA
                assertThat(decisions.stream().map(CompletableFuture::join).map(Decision::allowed))
                        .as(spec.algorithm())
                        .containsExactlyInAnyOrder(true, true, false);
            }
        }
        assertThat(slots).as("keys fall on every node's third of the slots").hasSize(3);
    }

    @Test
    void keyStartingWithABrace_keepsItsStateInOneSlot() {
        KeyedRateLimiter limiter = backend.rateLimiter("cluster:");
        LimitSpec one = LimitSpec.concurrency(1);

        assertThat(limiter.decide("}x{", one, 1).toCompletableFuture().join().allowed())
                .isTrue();
        assertThat(limiter.decide("}x{", one, 1).toCompletableFuture().join().allowed())
                .isFalse();
    }

    @Test
    void nonceStore_isSingleUseAcrossTheCluster() {
        NonceStore store = backend.nonceStore("cluster-nonces:");
        long expires = System.currentTimeMillis() + 60_000;
        for (int i = 0; i < 30; i++) {
            assertThat(await(store.putIfAbsent("token-" + i, expires))).isTrue();
            assertThat(await(store.putIfAbsent("token-" + i, expires))).isFalse();
        }
    }

    @Test
    void queueStateAndVisitorCalls_runEveryScriptOnRoomsSpreadOverAllSlots() {
        QueueState state = backend.queueState("cluster-rooms:");
        VisitorCalls calls = backend.visitorCalls("cluster-rooms:");
        RoomConfig config =
                RoomConfig.DEFAULTS.with(Map.of(Field.ADMISSION_LIMIT, 2L, Field.ABANDON_AFTER_SECONDS, 30L));
        long now = 1_800_000_000_000L;
        Set<Integer> slots = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            String room = "tenant-" + i;
            slots.add(SlotHash.getSlot(room) * 3 / SlotHash.SLOT_COUNT);
            assertThat(await(state.configureIfAbsent(room, config))).isTrue();
            await(state.configure(room, config, now));
            for (String user : List.of("a", "b", "c")) {
                await(state.enqueue(room, user, now));
            }
            assertThat(await(state.advance(room, now)).admittedUsers()).containsExactly("a", "b");
            assertThat(await(state.status(room, "c", now))).isEqualTo(Standing.queued(1));
            assertThat(await(state.standing(room, "a", now)).isReady()).isTrue();
            assertThat(await(state.finish(room, "a", now))).isEqualTo(Finish.READY_CLEARED);
            assertThat(await(state.stats(room, now)).admittedTotal()).isEqualTo(2);
            assertThat(await(state.config(room))).isEqualTo(config);
            AddressLimit once = new AddressLimit(Kind.ENQUEUE, "}{192.0.2.1", 1, 60);
            assertThat(await(calls.enqueue(room, "d", now, once)).result()).isPresent();
            assertThat(await(calls.limit(room, once)).map(Decision::allowed)).contains(false);
            assertThat(await(calls.status(room, "d", now, new AddressLimit(Kind.STATUS, "192.0.2.1", 1, 60)))
                            .result())
                    .contains(Standing.queued(2));
        }
        assertThat(slots).as("rooms fall on every node's third of the slots").hasSize(3);
    }
}
