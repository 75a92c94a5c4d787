package dev.gatehouse.waitingroom.draw;

import java.util.Map;

/**
 * A public randomness beacon's round named in a commit record (a drand round, say): its value is
 * published only after {@link #roundTime()}, so a commit made before then cannot have been ground
 * against it.
 *
 * @param chain the beacon's name (1–128 characters)
 * @param genesisTime Unix seconds of the beacon's round 1
 * @param periodSeconds seconds between rounds (≥ 1)
 * @param round the round whose value enters the draw (≥ 1)
 */
public record Beacon(String chain, long genesisTime, long periodSeconds, long round) {

    /** Refuses what the specification refuses (an empty or too long chain, integers out of range). */
    public Beacon {
        DrawCommit.checkText("chain", chain);
        checkInteger("genesis_time", genesisTime, 0);
        checkInteger("period_seconds", periodSeconds, 1);
        checkInteger("round", round, 1);
    }

    /** Unix seconds at which the round's value is published: {@code genesis_time + (round − 1) · period_seconds}. */
    public long roundTime() {
        // each term is below 2^53, so the product fits in 106 bits: saturate rather than wrap
        long steps = round - 1;
        if (steps != 0 && periodSeconds > (Long.MAX_VALUE - genesisTime) / steps) {
            return Long.MAX_VALUE;
        }
        return genesisTime + steps * periodSeconds;
    }

    Map<String, Object> members() {
        return Map.of("chain", chain, "genesis_time", genesisTime, "period_seconds", periodSeconds, "round", round);
    }

    static void checkInteger(String name, long value, long min) {
        if (value < min || value >= DrawJson.MAX_INTEGER) {
            throw new IllegalArgumentException(name + ": " + value + " is not an integer from " + min + " to 2^53 - 1");
        }
    }
}
