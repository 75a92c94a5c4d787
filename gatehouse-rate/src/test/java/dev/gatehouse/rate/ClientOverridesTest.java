package dev.gatehouse.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ClientOverridesTest {

    private static final long WINDOW_NANOS = 1_000_000_000L;
    private static final RateLimits BASE = RateLimits.of(5, 5, 1_000, Algorithm.FIXED_WINDOW);

    private final ManualClock clock = new ManualClock();

    private RateLimits limits(ClientOverrides overrides, String key, OptionalInt maxRequests) {
        return overrides.limitsFor(key, BASE, maxRequests, OptionalInt.empty(), clock.nowNanos());
    }

    @Test
    void override_isKeptTheWindowOfItsLastUseAndThenItsSpecsIdleTime_notANanosecondLonger() {
        ClientOverrides overrides = new ClientOverrides(clock, 10);
        limits(overrides, "k", OptionalInt.of(1));
        long keptNanos = WINDOW_NANOS + BASE.withMaxRequests(1).spec().idleNanos(); // 4 windows

        clock.advanceNanos(keptNanos - 1);
        assertThat(limits(overrides, "k", OptionalInt.empty()).maxRequests()).isEqualTo(1); // a use: kept again
        clock.advanceNanos(keptNanos - 1);
        overrides.sweep(10);
        assertThat(overrides.size()).isEqualTo(1);

        clock.advanceNanos(1);
        overrides.sweep(10);
        assertThat(overrides.size()).isZero();
        assertThat(limits(overrides, "k", OptionalInt.empty())).isSameAs(BASE);
    }

    @Test
    void override_expiredButNotYetSwept_isNotApplied() {
        ClientOverrides overrides = new ClientOverrides(clock, 10);
        limits(overrides, "k", OptionalInt.of(1));

        clock.advanceNanos(4 * WINDOW_NANOS);

        assertThat(limits(overrides, "k", OptionalInt.empty())).isSameAs(BASE);
        assertThat(overrides.size()).isZero();
    }

    @Test
    void full_newKeysOverrideAppliesToItsOwnCallOnly_untilAnOldOneExpires() {
        ClientOverrides overrides = new ClientOverrides(clock, 1);
        limits(overrides, "a", OptionalInt.of(1));

        assertThat(limits(overrides, "b", OptionalInt.of(2)).maxRequests()).isEqualTo(2);
        assertThat(limits(overrides, "b", OptionalInt.empty())).isSameAs(BASE);
        assertThat(limits(overrides, "a", OptionalInt.of(3)).maxRequests()).isEqualTo(3); // a kept key changes

        clock.advanceNanos(4 * WINDOW_NANOS);
        limits(overrides, "b", OptionalInt.of(2));
        assertThat(limits(overrides, "b", OptionalInt.empty()).maxRequests()).isEqualTo(2);
        assertThat(overrides.size()).isEqualTo(1);
    }

    @Test
    void forget_dropsTheOverrideOnlyIfItIsTheOneGiven() {
        ClientOverrides overrides = new ClientOverrides(clock, 10);
        RateLimits kept = limits(overrides, "k", OptionalInt.of(1));

        overrides.forget("k", BASE);
        assertThat(overrides.size()).isEqualTo(1);
        overrides.forget("k", kept);
        assertThat(overrides.size()).isZero();
    }
}
