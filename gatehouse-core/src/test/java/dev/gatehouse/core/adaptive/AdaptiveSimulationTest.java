package dev.gatehouse.core.adaptive;

import static dev.gatehouse.core.adaptive.Simulation.MILLI;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Adaptive limiters against a synthetic backend on virtual time: 200 clients, a backend whose latency
 * is 10 ms up to 50 requests at once and grows in proportion beyond (the knee), and which drops
 * requests beyond 100 at once.
 */
class AdaptiveSimulationTest {

    private static final long SECOND = 1_000 * MILLI;

    @Test
    void gradient_convergesNearTheKnee_followsASlowdown_andRecovers() {
        Simulation sim = new Simulation(AdaptiveSpec.gradient(10, 1, 1_000), 200, 50, 10 * MILLI, 100);

        sim.runFor(30 * SECOND);
        assertThat(sim.firstTimeWithin(0, 50, 75)).isBetween(0L, 5 * SECOND);
        assertThat(sim.meanLimit(20 * SECOND, 30 * SECOND)).isBetween(50.0, 75.0); // tolerance 1.2: about 60
        assertThat(sim.dropped).isZero();

        sim.backend(15, 30 * MILLI, 30); // slower and smaller
        sim.runFor(30 * SECOND);
        assertThat(sim.firstTimeWithin(30 * SECOND, 0, 25) - 30 * SECOND).isLessThanOrEqualTo(2 * SECOND);
        assertThat(sim.meanLimit(45 * SECOND, 60 * SECOND)).isBetween(15.0, 25.0);

        sim.backend(50, 10 * MILLI, 100); // healthy again
        sim.runFor(30 * SECOND);
        assertThat(sim.firstTimeWithin(60 * SECOND, 45, 1_000) - 60 * SECOND).isLessThanOrEqualTo(5 * SECOND);
        assertThat(sim.meanLimit(80 * SECOND, 90 * SECOND)).isBetween(50.0, 75.0);
    }

    @Test
    void gradient_aSlowerBackendOfTheSameCapacity_doesNotDriveTheLimitDownForever() {
        Simulation sim = new Simulation(AdaptiveSpec.gradient(10, 1, 1_000), 200, 50, 10 * MILLI, 100);
        sim.runFor(30 * SECOND);

        sim.backend(50, 30 * MILLI, 100); // three times the latency, same knee

        sim.runFor(30 * SECOND);
        assertThat(sim.meanLimit(45 * SECOND, 60 * SECOND)).isBetween(50.0, 75.0);
    }

    @Test
    void aimd_convergesBelowTheDropPoint_followsASlowdown_andRecoversQuickly() {
        Simulation sim = new Simulation(AdaptiveSpec.aimd(10, 1, 1_000), 200, 50, 10 * MILLI, 100);

        sim.runFor(30 * SECOND);
        assertThat(sim.meanLimit(20 * SECOND, 30 * SECOND)).isBetween(85.0, 101.0); // saw-tooth from 90 to 101

        sim.backend(15, 30 * MILLI, 30);
        sim.runFor(30 * SECOND);
        assertThat(sim.firstTimeWithin(30 * SECOND, 0, 31) - 30 * SECOND).isLessThanOrEqualTo(3 * SECOND);
        assertThat(sim.meanLimit(45 * SECOND, 60 * SECOND)).isBetween(24.0, 31.0);

        sim.backend(50, 10 * MILLI, 100);
        sim.runFor(30 * SECOND);
        assertThat(sim.firstTimeWithin(60 * SECOND, 80, 1_000) - 60 * SECOND).isLessThanOrEqualTo(SECOND);
        assertThat(sim.meanLimit(80 * SECOND, 90 * SECOND)).isBetween(85.0, 101.0);
    }
}
