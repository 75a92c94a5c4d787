package dev.gatehouse.core.time;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import org.junit.jupiter.api.Test;

class NanoClockTest {

    @Test
    void monotonic_clampsABackwardsStepToTheHighWaterMark() {
        ManualClock raw = new ManualClock(1_000);
        NanoClock clock = NanoClock.monotonic(raw);

        raw.setNanos(2_000);
        assertThat(clock.nowNanos()).isEqualTo(2_000);
        raw.setNanos(500);
        assertThat(clock.nowNanos()).isEqualTo(2_000);
        raw.setNanos(2_500);
        assertThat(clock.nowNanos()).isEqualTo(2_500);
    }

    @Test
    void monotonic_ofAMonotonicClock_isThatClock() {
        assertThat(NanoClock.monotonic(NanoClock.system())).isSameAs(NanoClock.system());
        NanoClock clamped = NanoClock.monotonic(new ManualClock());
        assertThat(NanoClock.monotonic(clamped)).isSameAs(clamped);
    }
}
