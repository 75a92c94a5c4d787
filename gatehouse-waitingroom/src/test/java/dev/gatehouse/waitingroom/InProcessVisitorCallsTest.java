package dev.gatehouse.waitingroom;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.DownLimiter;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.testing.room.VisitorCallsContract;
import dev.gatehouse.waitingroom.QueueState.Enqueued;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.VisitorCalls.AddressLimit;
import dev.gatehouse.waitingroom.VisitorCalls.Kind;
import dev.gatehouse.waitingroom.VisitorCalls.Limited;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class InProcessVisitorCallsTest extends VisitorCallsContract {

    private final ManualClock clock = new ManualClock(0);

    @Override
    protected QueueState newState() {
        return new MemoryQueueState();
    }

    @Override
    protected VisitorCalls callsOn(QueueState state) {
        return VisitorCalls.inProcess(state, clock);
    }

    @Test
    void aWindowEnds_andTheAddressMayCallAgain() {
        VisitorCalls calls = callsOn(newState());
        AddressLimit limit = new AddressLimit(Kind.STATUS, "192.0.2.1", 1, 10);
        assertThat(await(calls.status("r", "u", 0, limit)).result()).contains(Standing.UNKNOWN);
        assertThat(await(calls.status("r", "u", 0, limit)).result()).isEmpty();
        clock.advance(Duration.ofSeconds(10));
        assertThat(await(calls.status("r", "u", 0, limit)).result()).contains(Standing.UNKNOWN);
    }

    @Test
    void aLimiterThatCannotAnswer_letsTheCallThroughWithoutADecision() {
        QueueState state = newState();
        VisitorCalls calls = VisitorCalls.of(state, new DownLimiter());
        AddressLimit limit = new AddressLimit(Kind.ENQUEUE, "192.0.2.1", 1, 10);

        Limited<Enqueued> made = await(calls.enqueue("r", "u", 0, limit));

        assertThat(made.decision()).isEmpty();
        assertThat(made.result()).contains(new Enqueued(true, Standing.queued(1)));
        assertThat(await(calls.limit("r", limit))).isEmpty();
    }
}
