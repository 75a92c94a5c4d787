package dev.gatehouse.waitingroom;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.room.QueueStateContract;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryQueueStateTest extends QueueStateContract {

    @Override
    protected QueueState newState() {
        return new MemoryQueueState();
    }

    @Test
    void lateArrivalsArePlacedABatchACall() {
        QueueState state = newState();
        await(state.startPrequeue("r"));
        await(state.enqueue("r", "early", 1));
        await(state.closePrequeue("r"));
        int late = QueueState.MAX_ADMITTED_PER_ADVANCE + 5;
        for (int i = 0; i < late; i++) {
            await(state.enqueue("r", "late" + i, 2));
        }

        assertThat(await(state.placeDrawn("r", List.of("early"), true, 3))).isFalse();
        assertThat(await(state.stats("r", 3)).registered()).isEqualTo(5);
        assertThat(await(state.placeDrawn("r", List.of(), true, 3))).isTrue();
        assertThat(await(state.status("r", "late" + (late - 1), 4)).position()).isEqualTo(late + 1);
    }
}
