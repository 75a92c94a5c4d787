package dev.gatehouse.waitingroom;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RandomCases;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class QueueLineTest {

    private static final class Member implements QueueLine.Member {
        private int slot = -1;

        @Override
        public int slot() {
            return slot;
        }

        @Override
        public void slot(int slot) {
            this.slot = slot;
        }
    }

    static LongStream seeds() {
        return RandomCases.seeds(20);
    }

    /** Random arrivals, departures from anywhere and from the head, against a list that is the queue. */
    @ParameterizedTest
    @MethodSource("seeds")
    void positionsAreThoseOfAList(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        QueueLine<Member> line = new QueueLine<>(Member.class);
        List<Member> model = new ArrayList<>();
        double arrivals = 0.4 + 0.5 * random.nextDouble(); // from mostly churning to mostly growing
        for (int step = 0; step < 20_000; step++) {
            if (model.isEmpty() || random.nextDouble() < arrivals) {
                Member member = new Member();
                line.add(member);
                model.add(member);
            } else if (random.nextBoolean()) {
                assertThat(line.pollFirst()).isSameAs(model.remove(0));
            } else {
                Member member = model.remove(random.nextInt(model.size()));
                line.remove(member);
            }
            assertThat(line.size()).isEqualTo(model.size());
            if (!model.isEmpty()) {
                int i = random.nextInt(model.size());
                assertThat(line.position(model.get(i))).isEqualTo(i + 1);
            }
        }
        for (int i = 0; i < model.size(); i++) {
            assertThat(line.position(model.get(i))).isEqualTo(i + 1);
        }
    }

    @Test
    void membersLeavingBehindAHeadThatStaysKeepTheSlotsFew() {
        QueueLine<Member> line = new QueueLine<>(Member.class);
        List<Member> staying = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            staying.add(new Member());
            line.add(staying.get(i));
        }
        for (int i = 0; i < 100_000; i++) { // nobody admitted; every newcomer abandons
            Member passing = new Member();
            line.add(passing);
            line.remove(passing);
        }
        assertThat(line.capacity()).isLessThanOrEqualTo(16);
        for (int i = 0; i < 4; i++) {
            assertThat(line.position(staying.get(i))).isEqualTo(i + 1);
        }
    }

    @Test
    void aLineThatShrankGivesItsSlotsBack() {
        QueueLine<Member> line = new QueueLine<>(Member.class);
        for (int i = 0; i < 100_000; i++) {
            line.add(new Member());
        }
        int large = line.capacity();
        for (int i = 0; i < 99_990; i++) {
            line.pollFirst();
        }
        for (int i = 0; i < 100_000; i++) { // arrivals and departures at the same pace: ten waiting
            line.add(new Member());
            line.pollFirst();
        }
        assertThat(large).isGreaterThanOrEqualTo(100_000);
        assertThat(line.capacity()).isLessThanOrEqualTo(64);
    }

    @Test
    void slotNumbersNeverRunPastTheLargestInt() {
        QueueLine<Member> line = new QueueLine<>(Member.class, Integer.MAX_VALUE - 100);
        List<Member> model = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            Member member = new Member();
            line.add(member);
            model.add(member);
            assertThat(member.slot()).isNotNegative(); // negative numbers mark members no longer queued
            if (i % 3 == 0) {
                assertThat(line.pollFirst()).isSameAs(model.remove(0));
            }
        }
        for (int i = 0; i < model.size(); i++) {
            assertThat(model.get(i).slot()).isNotNegative();
            assertThat(line.position(model.get(i))).isEqualTo(i + 1);
        }
    }
}
