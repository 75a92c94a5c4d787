package dev.gatehouse.waitingroom;

import java.lang.reflect.Array;
import org.jspecify.annotations.Nullable;

/**
 * A queue in arrival order that knows every member's position, for one thread at a time: slots in
 * arrival order with a Fenwick tree counting the occupied ones, so a position is the count up to the
 * member's slot (O(log n)), exact after members leave from anywhere. A member keeps its slot's number
 * while it waits; the array holding the slots moves under the numbers ({@code base} is the number of
 * its first cell), so when the slots run out they are copied, gaps and all, into a new array
 * (twice as large when more than half would be in use, two to four times the members kept when
 * less than a quarter),
 * touching no member. Only when gaps are half of the slots in use (or the numbers would run past
 * {@code Integer.MAX_VALUE}) are the members renumbered, closing the gaps.
 */
final class QueueLine<E extends QueueLine.Member> {

    /** What the line keeps in a member: the number of its slot, while it is in the line. */
    interface Member {
        int slot();

        void slot(int slot);
    }

    private static final int MIN_SLOTS = 16;
    /** The largest array of slots: a power of two that an int counts past twice over. */
    private static final int MAX_SLOTS = 1 << 30;

    private final Class<E> type;
    private @Nullable E[] slots;
    private int[] tree;
    private int base;
    private int head;
    private int tail;
    private int size;

    QueueLine(Class<E> type) {
        this(type, 0);
    }

    /** A line whose first slot is numbered {@code firstSlot}: for tests of the numbers' end. */
    QueueLine(Class<E> type, int firstSlot) {
        this.type = type;
        this.slots = newSlots(MIN_SLOTS);
        this.tree = new int[MIN_SLOTS + 1];
        this.base = firstSlot;
    }

    /** Number of members. */
    int size() {
        return size;
    }

    /** Slots the line holds now, occupied or not: what it costs beyond its members. */
    int capacity() {
        return slots.length;
    }

    /** Adds {@code member} at the end. */
    void add(E member) {
        if (tail == slots.length) {
            makeRoom();
        }
        member.slot(base + tail);
        slots[tail] = member;
        change(tail, 1);
        tail++;
        size++;
    }

    /** The position of {@code member}, which is in the line: 1 for the first. */
    long position(E member) {
        long count = 0;
        for (int i = member.slot() - base + 1; i > 0; i -= i & -i) {
            count += tree[i];
        }
        return count;
    }

    /** Removes and returns the first member; the line must not be empty. */
    E pollFirst() {
        E first;
        while ((first = slots[head]) == null) {
            head++;
        }
        remove(first);
        return first;
    }

    /** Removes {@code member}, which is in the line. */
    void remove(E member) {
        int at = member.slot() - base;
        slots[at] = null;
        change(at, -1);
        size--;
    }

    private void change(int at, int delta) {
        for (int i = at + 1; i < tree.length; i += i & -i) {
            tree[i] += delta;
        }
    }

    private void makeRoom() {
        int span = tail - head;
        boolean renumber = size * 2L <= span || (long) base + head + slots.length * 2L > Integer.MAX_VALUE;
        int kept = renumber ? size : span;
        // twice as large when more than half would be in use; when less than a quarter, two to four
        // times what is kept
        int capacity;
        if (kept * 2L > slots.length) {
            if (slots.length == MAX_SLOTS) {
                throw new IllegalStateException("a line holds at most " + MAX_SLOTS + " members");
            }
            capacity = slots.length * 2;
        } else {
            capacity = kept * 4L < slots.length ? Math.max(MIN_SLOTS, Integer.highestOneBit(kept) << 2) : slots.length;
        }
        @Nullable E[] moved = newSlots(capacity);
        if (renumber) {
            int count = 0;
            for (int i = head; i < tail; i++) {
                E member = slots[i];
                if (member != null) {
                    member.slot(count);
                    moved[count++] = member;
                }
            }
            base = 0;
        } else {
            System.arraycopy(slots, head, moved, 0, span);
            base += head;
        }
        slots = moved;
        head = 0;
        tail = kept;
        tree = new int[capacity + 1];
        for (int i = 1; i <= capacity; i++) { // linear build: each node passes its count to its parent
            tree[i] += i <= tail && moved[i - 1] != null ? 1 : 0;
            int parent = i + (i & -i);
            if (parent <= capacity) {
                tree[parent] += tree[i];
            }
        }
    }

    @SuppressWarnings("unchecked") // an array of the members' own class, made for them
    private @Nullable E[] newSlots(int length) {
        return (@Nullable E[]) Array.newInstance(type, length);
    }
}
