package dev.gatehouse.server.room;

import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueTokens;
import dev.gatehouse.waitingroom.RoomDraw;
import dev.gatehouse.waitingroom.draw.Draw;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rooms' draws, one per room as it is first asked for: drawn with the server's keys ({@code
 * room.draw-vrf-key}, {@code room.draw-signing-key}), the records naming the tenant id, each user
 * taking part under its {@link QueueTokens#drawTicket}.
 */
final class RoomDraws {

    private static final Logger LOG = LoggerFactory.getLogger(RoomDraws.class);

    private final QueueState state;
    private final QueueTokens tokens;
    private final Draw draw;
    private final Map<String, RoomDraw> draws = new ConcurrentHashMap<>();

    RoomDraws(RoomSettings settings, QueueState state, QueueTokens tokens) {
        this.state = state;
        this.tokens = tokens;
        boolean random =
                settings.drawVrfKey().isEmpty() || settings.drawSigningKey().isEmpty();
        this.draw = Draw.ofHexKeys(settings.drawVrfKey(), settings.drawSigningKey());
        if (random) {
            LOG.info(
                    "events' draws use a key made for this process ({}): replicas sharing rooms, and a restart"
                            + " between an event's commit and its draw, need room.draw-vrf-key and"
                            + " room.draw-signing-key",
                    draw);
        }
    }

    /** The draw of {@code room}. */
    RoomDraw of(String room) {
        return draws.computeIfAbsent(
                room, r -> new RoomDraw(state, r, r, draw, null, user -> tokens.drawTicket(r, user)));
    }
}
