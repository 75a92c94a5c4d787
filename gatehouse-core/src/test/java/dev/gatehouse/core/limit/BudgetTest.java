package dev.gatehouse.core.limit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Race;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BudgetTest {

    @Test
    void aTakeThatWouldPassTheBoundIsRefused() {
        Budget budget = new Budget(100);
        assertThat(budget.take(60)).isTrue();
        assertThat(budget.take(41)).isFalse();
        assertThat(budget.take(40)).isTrue();
        budget.give(60);
        assertThat(budget.held()).isEqualTo(40);
    }

    /** Threads taking and giving back at once: never more than the bound held, all given back at the end. */
    @Test
    void takesFromManyThreadsNeverPassTheBound() throws Exception {
        long bound = 10_000;
        Budget budget = new Budget(bound);
        AtomicLong highest = new AtomicLong();
        AtomicInteger seeds = new AtomicInteger();

        Race.run(8, () -> {
            SplittableRandom random = new SplittableRandom(seeds.getAndIncrement());
            for (int i = 0; i < 50_000; i++) {
                long amount = 1 + random.nextInt(2_000);
                if (budget.take(amount)) {
                    highest.accumulateAndGet(budget.held(), Math::max);
                    budget.give(amount);
                }
            }
        });

        assertThat(highest.get()).isLessThanOrEqualTo(bound).isPositive();
        assertThat(budget.held()).isZero();
    }

    /**
     * Threads taking one at a time at the bound, never giving back, over many rounds: exactly the
     * bound is taken in each, however the takes meet (a take that checked and then added separately
     * passes it when two meet at the last unit).
     */
    @Test
    void takesFromManyThreadsAtTheBoundTakeExactlyIt() throws Exception {
        for (int round = 0; round < 1_000; round++) {
            Budget budget = new Budget(64);
            AtomicInteger taken = new AtomicInteger();

            Race.run(4, () -> {
                for (int i = 0; i < 40; i++) {
                    if (budget.take(1)) {
                        taken.incrementAndGet();
                    }
                }
            });

            assertThat(taken.get()).as("round %d", round).isEqualTo(64);
            assertThat(budget.held()).isEqualTo(64);
        }
    }
}
