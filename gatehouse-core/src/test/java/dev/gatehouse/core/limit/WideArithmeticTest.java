package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RandomCases;
import java.math.BigInteger;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class WideArithmeticTest {

    static LongStream seeds() {
        return RandomCases.seeds(1_000);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void multiplyDivide_randomOperands_matchBigInteger(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        assertMatchesBigInteger(
                RandomCases.longBetween(random, 0, Long.MAX_VALUE),
                RandomCases.longBetween(random, 0, Long.MAX_VALUE),
                RandomCases.longBetween(random, 1, Long.MAX_VALUE));
    }

    @Test
    void multiplyDivide_everyCombinationOfEdges_matchesBigInteger() {
        long max = Long.MAX_VALUE;
        for (long a : new long[] {0, 1, 2, max - 1, max}) {
            for (long b : new long[] {0, 1, 2, max - 1, max}) {
                for (long c : new long[] {1, 2, max - 1, max}) {
                    assertMatchesBigInteger(a, b, c);
                }
            }
        }
    }

    private static void assertMatchesBigInteger(long a, long b, long c) {
        BigInteger product = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b));
        BigInteger[] quotientAndRemainder = product.divideAndRemainder(BigInteger.valueOf(c));
        BigInteger floor = quotientAndRemainder[0];
        BigInteger ceil = quotientAndRemainder[1].signum() == 0 ? floor : floor.add(BigInteger.ONE);
        BigInteger max = BigInteger.valueOf(Long.MAX_VALUE);

        assertThat(WideArithmetic.multiplyDivideFloor(a, b, c))
                .as("floor(%d * %d / %d)", a, b, c)
                .isEqualTo(floor.min(max).longValueExact());
        assertThat(WideArithmetic.multiplyDivideCeil(a, b, c))
                .as("ceil(%d * %d / %d)", a, b, c)
                .isEqualTo(ceil.min(max).longValueExact());
    }

    @Test
    void multiplyDivide_extremes() {
        long max = Long.MAX_VALUE;
        assertThat(WideArithmetic.multiplyDivideFloor(max, max, max)).isEqualTo(max);
        assertThat(WideArithmetic.multiplyDivideFloor(max, max, 1)).isEqualTo(max);
        assertThat(WideArithmetic.multiplyDivideFloor(max, 2, 2)).isEqualTo(max);
        assertThat(WideArithmetic.multiplyDivideCeil(max, 3, 4)).isEqualTo(6917529027641081856L);
        assertThat(WideArithmetic.multiplyDivideCeil(max, max, max - 1)).isEqualTo(max);
        assertThat(WideArithmetic.multiplyDivideFloor(0, max, 7)).isZero();
    }

    @Test
    void saturated_clampAtBothEnds() {
        assertThat(WideArithmetic.saturatedAdd(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(WideArithmetic.saturatedAdd(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
        assertThat(WideArithmetic.saturatedAdd(-5, 3)).isEqualTo(-2);
        assertThat(WideArithmetic.saturatedMultiply(Long.MAX_VALUE, 2)).isEqualTo(Long.MAX_VALUE);
        assertThat(WideArithmetic.saturatedMultiply(1L << 32, 1L << 31)).isEqualTo(Long.MAX_VALUE);
        assertThat(WideArithmetic.saturatedMultiply(1L << 31, 1L << 31)).isEqualTo(1L << 62);
    }
}
