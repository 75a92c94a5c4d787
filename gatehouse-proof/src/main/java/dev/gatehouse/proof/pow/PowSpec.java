package dev.gatehouse.proof.pow;

import dev.gatehouse.core.check.Require;
import java.time.Duration;

/**
 * How hard and how long-lived challenges are: difficulty rises from {@code baseDifficulty} at no load
 * to {@code maxDifficulty} at full load, in leading zero bits.
 *
 * @param baseDifficulty leading zero bits at load 0, at least 1
 * @param maxDifficulty leading zero bits at load 1, at least the base and at most {@link #MAX_DIFFICULTY}
 * @param ttlMillis how long a challenge stays solvable after it is issued, at most {@link #MAX_TTL_MILLIS}
 */
public record PowSpec(int baseDifficulty, int maxDifficulty, long ttlMillis) {

    /** The largest difficulty, 64 bits: far beyond what anyone solves, and it fits the encoding. */
    public static final int MAX_DIFFICULTY = 64;

    /** The longest time to live, one day: longer-lived challenges only fill the nonce store. */
    public static final long MAX_TTL_MILLIS = 86_400_000L;

    public PowSpec {
        Require.inRange("baseDifficulty", baseDifficulty, 1, MAX_DIFFICULTY);
        Require.inRange("maxDifficulty", maxDifficulty, baseDifficulty, MAX_DIFFICULTY);
        Require.inRange("ttlMillis", ttlMillis, 1, MAX_TTL_MILLIS);
    }

    /** A spec with the time to live as a duration. */
    public static PowSpec of(int baseDifficulty, int maxDifficulty, Duration ttl) {
        long ttlMillis = Require.nanosAtLeast("ttl", ttl, 1_000_000) / 1_000_000;
        return new PowSpec(baseDifficulty, maxDifficulty, ttlMillis);
    }

    /** base + round((max − base) · load), for a load in [0, 1]. */
    public int difficulty(double load) {
        Require.inRange("load", load, 0.0, 1.0);
        return baseDifficulty + (int) Math.round((maxDifficulty - baseDifficulty) * load);
    }
}
