package dev.gatehouse.waitingroom;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

final class RoomConfigsTest {

    private static final String ROOM = "room";
    private static final long MAX_AGE = 1_000;
    private static final RoomConfig PAUSED = RoomConfig.DEFAULTS.with(Map.of(RoomConfig.Field.ADMISSION_LIMIT, 0L));

    private final MemoryQueueState state = new MemoryQueueState();
    private final AtomicInteger reads = new AtomicInteger();
    private final QueueState counting = new ForwardingQueueState(state) {
        @Override
        public CompletionStage<RoomConfig> config(String room) {
            reads.incrementAndGet();
            return super.config(room);
        }
    };

    @Test
    void aReadIsUsedForItsMaxAge_thenReadAgain() {
        RoomConfigs configs = new RoomConfigs(counting, MAX_AGE);
        assertThat(configs.fresh(ROOM, 0)).isNull();
        assertThat(await(configs.get(ROOM, 0))).isEqualTo(RoomConfig.DEFAULTS);
        await(state.configure(ROOM, PAUSED, 1)); // another replica's change

        assertThat(await(configs.get(ROOM, MAX_AGE - 1))).isEqualTo(RoomConfig.DEFAULTS);
        assertThat(reads).hasValue(1);
        assertThat(configs.fresh(ROOM, MAX_AGE)).isNull();
        assertThat(await(configs.get(ROOM, MAX_AGE))).isEqualTo(PAUSED);
        assertThat(reads).hasValue(2);
    }

    @Test
    void aConfigStoredHere_isUsedAtOnce() {
        RoomConfigs configs = new RoomConfigs(counting, MAX_AGE);
        await(configs.get(ROOM, 0));
        configs.stored(ROOM, PAUSED, 10);
        assertThat(await(configs.get(ROOM, 11))).isEqualTo(PAUSED);
        assertThat(reads).hasValue(1);
    }

    /**
     * A read of the store overlaps a change stored here: what it read is older than the change, so it
     * is not kept (else the change would be unseen until the next read), both when something was
     * kept before the read and when nothing was.
     */
    @Test
    void aReadOverlappingAChangeStoredHere_isNotKept() {
        for (boolean keptBefore : new boolean[] {false, true}) {
            CompletableFuture<RoomConfig> held = new CompletableFuture<>();
            QueueState holding = new ForwardingQueueState(state) {
                @Override
                public CompletionStage<RoomConfig> config(String room) {
                    return held;
                }
            };
            RoomConfigs configs = new RoomConfigs(holding, MAX_AGE);
            if (keptBefore) {
                configs.stored(ROOM, RoomConfig.DEFAULTS, 0);
            }
            CompletionStage<RoomConfig> reading = configs.read(ROOM, 5); // asks the store
            configs.stored(ROOM, PAUSED, 6); // meanwhile a change here
            held.complete(RoomConfig.DEFAULTS);

            assertThat(await(reading)).isEqualTo(RoomConfig.DEFAULTS);
            assertThat(configs.fresh(ROOM, 7))
                    .as("kept before the read: %s", keptBefore)
                    .isEqualTo(PAUSED);
        }
    }

    @Test
    void aStoreThatThrows_failsTheRead() {
        QueueState throwing = new ForwardingQueueState(state) {
            @Override
            public CompletionStage<RoomConfig> config(String room) {
                throw new IllegalStateException("down");
            }
        };
        assertThat(new RoomConfigs(throwing, MAX_AGE).read(ROOM, 0).toCompletableFuture())
                .isCompletedExceptionally();
    }
}
