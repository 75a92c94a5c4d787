package dev.gatehouse.core.limit;

/**
 * Exact integer arithmetic for limiter maths on non-negative operands: products are formed in 128
 * bits before dividing, and results that do not fit saturate at {@link Long#MAX_VALUE}.
 */
final class WideArithmetic {

    private WideArithmetic() {}

    /** {@code floor(a * b / divisor)} for {@code a, b >= 0}, {@code divisor > 0}. */
    static long multiplyDivideFloor(long a, long b, long divisor) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        if (high == 0 && low >= 0) {
            return low / divisor;
        }
        return divideWide(high, low, divisor, false);
    }

    /** {@code ceil(a * b / divisor)} for {@code a, b >= 0}, {@code divisor > 0}. */
    static long multiplyDivideCeil(long a, long b, long divisor) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        if (high == 0 && low >= 0) {
            long quotient = low / divisor;
            return quotient * divisor == low ? quotient : quotient + 1;
        }
        return divideWide(high, low, divisor, true);
    }

    /** {@code a + b}, saturating at {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE}. */
    static long saturatedAdd(long a, long b) {
        long sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }

    /** {@code a * b} for {@code a, b >= 0}, saturating. */
    static long saturatedMultiply(long a, long b) {
        return Math.multiplyHigh(a, b) != 0 || a * b < 0 ? Long.MAX_VALUE : a * b;
    }

    /** Divides the unsigned 128-bit {@code high:low} by {@code divisor}, one bit at a time (rare path). */
    private static long divideWide(long high, long low, long divisor, boolean roundUp) {
        if (Long.compareUnsigned(high, divisor) >= 0) {
            return Long.MAX_VALUE;
        }
        long remainder = high;
        long quotient = 0;
        for (int bit = 63; bit >= 0; bit--) {
            boolean carry = remainder < 0;
            remainder = (remainder << 1) | ((low >>> bit) & 1);
            if (carry || Long.compareUnsigned(remainder, divisor) >= 0) {
                remainder -= divisor;
                quotient |= 1L << bit;
            }
        }
        if (quotient < 0) {
            return Long.MAX_VALUE;
        }
        return roundUp && remainder != 0 ? saturatedAdd(quotient, 1) : quotient;
    }
}
