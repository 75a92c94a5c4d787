package dev.gatehouse.waitingroom.draw;

import java.util.List;

/**
 * A finished draw.
 *
 * @param record the signed draw record
 * @param order the committed tickets in drawn order (position 1 first)
 */
public record Drawn(Signed<DrawRecord> record, List<String> order) {

    /** Keeps an unmodifiable copy of {@code order}. */
    public Drawn {
        order = List.copyOf(order);
    }
}
