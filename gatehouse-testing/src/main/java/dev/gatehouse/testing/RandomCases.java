package dev.gatehouse.testing;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.LongStream;

/**
 * Seeded random inputs for property tests: a test takes one seed per case from {@link #seeds(int)} and draws its
 * inputs from {@code new SplittableRandom(seed)}, so a failing case reruns from the seed in its name.
 */
public final class RandomCases {

    private RandomCases() {}

    /** The seeds 1 to {@code count}, one per case; Surefire's case index {@code [n]} is the seed. */
    public static LongStream seeds(int count) {
        return LongStream.rangeClosed(1, count);
    }

    /**
     * A long in [min, max]: one in eight is an edge (min, min + 1, max - 1, max, or 0, 1 or -1 when inside), three in
     * eight lie a random number of bits from either end, the rest are uniform.
     */
    public static long longBetween(SplittableRandom random, long min, long max) {
        if (min > max) {
            throw new IllegalArgumentException("min > max: " + min + " > " + max);
        }
        int kind = random.nextInt(8);
        if (kind == 0) {
            long[] edges = {min, min + 1, max - 1, max, 0, 1, -1};
            long edge = edges[random.nextInt(edges.length)];
            return edge >= min && edge <= max ? edge : min;
        }
        long span = max - min; // negative when the range is wider than Long.MAX_VALUE
        if (kind <= 3 && span >= 0) {
            int bits = random.nextInt(65 - Long.numberOfLeadingZeros(span));
            long offset = bits == 0 ? 0 : Math.min(span, random.nextLong() >>> (64 - bits));
            return random.nextBoolean() ? min + offset : max - offset;
        }
        if (max < Long.MAX_VALUE) {
            return random.nextLong(min, max + 1);
        }
        return min > Long.MIN_VALUE ? random.nextLong(min - 1, max) + 1 : random.nextLong();
    }

    /** {@link #longBetween} for ints. */
    public static int intBetween(SplittableRandom random, int min, int max) {
        return (int) longBetween(random, min, max);
    }

    /** Bytes of a length in [minLength, maxLength]; one array in eight repeats one edge byte (0, 1, -1, min, max). */
    public static byte[] bytes(SplittableRandom random, int minLength, int maxLength) {
        byte[] bytes = new byte[intBetween(random, minLength, maxLength)];
        if (random.nextInt(8) == 0) {
            byte[] edges = {0, 1, -1, Byte.MIN_VALUE, Byte.MAX_VALUE};
            Arrays.fill(bytes, edges[random.nextInt(edges.length)]);
        } else {
            random.nextBytes(bytes);
        }
        return bytes;
    }
}
