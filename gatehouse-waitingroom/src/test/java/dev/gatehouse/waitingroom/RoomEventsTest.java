package dev.gatehouse.waitingroom;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.testing.Race;
import dev.gatehouse.waitingroom.QueueState.Prequeue;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.draw.Draw;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

final class RoomEventsTest {

    private static final String ROOM = "room";
    private static final long PREQUEUE_OPENS_AT = 1_767_225_600L;
    private static final long OPENS_AT = PREQUEUE_OPENS_AT + 600;
    private static final Draw KEYS = new Draw(
            HexFormat.of().parseHex("11".repeat(32)),
            SigningKey.fromSeed(HexFormat.of().parseHex("22".repeat(32))));
    private static final QueueTokens TOKENS = new QueueTokens("a-test-secret-that-is-long-enough-for-hs256", () -> 0);

    private static final long CONFIG_MAX_AGE_MILLIS = 5_000;

    private final MemoryQueueState state = new MemoryQueueState();

    /** A replica's events: its own configs and draws over the shared state. */
    private RoomEvents replica() {
        Map<String, RoomDraw> draws = new ConcurrentHashMap<>();
        return new RoomEvents(
                state,
                new RoomConfigs(state, CONFIG_MAX_AGE_MILLIS),
                room -> draws.computeIfAbsent(
                        room, r -> new RoomDraw(state, r, r, KEYS, null, user -> TOKENS.drawTicket(r, user))));
    }

    private void configureEvent(long prequeueOpensAt, long opensAt) {
        RoomConfig config = RoomConfig.DEFAULTS.with(Map.of(
                RoomConfig.Field.ADMISSION_LIMIT, 0L,
                RoomConfig.Field.PREQUEUE_OPENS_AT, prequeueOpensAt,
                RoomConfig.Field.OPENS_AT, opensAt));
        await(state.configure(ROOM, config, prequeueOpensAt * 1000 - 60_000));
    }

    /** The kept draw's order, as a verifier finds it from the files. */
    private List<String> drawnOrder() throws Exception {
        QueueState.DrawFiles files = await(state.draw(ROOM)).orElseThrow();
        DrawRecord record = DrawVerifier.checkRecord(
                java.util.Objects.requireNonNull(files.record()).getBytes(StandardCharsets.UTF_8),
                null,
                files.commit().getBytes(StandardCharsets.UTF_8));
        assertThat(record.commit().room()).isEqualTo(ROOM);
        assertThat(record.commit().committedAt()).isEqualTo(OPENS_AT);
        return DrawVerifier.checkTickets(record, files.tickets().getBytes(StandardCharsets.US_ASCII));
    }

    private Standing status(String user, long atMillis) {
        return await(state.status(ROOM, user, atMillis));
    }

    @Test
    void theEventRegistersFromItsPrequeueAndQueuesTheDrawnOrderAtItsOpening() throws Exception {
        configureEvent(PREQUEUE_OPENS_AT, OPENS_AT);
        RoomEvents events = replica();
        long before = PREQUEUE_OPENS_AT * 1000 - 1;
        await(events.run(ROOM, before));
        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.NONE);
        assertThat(await(state.enqueue(ROOM, "early", before)).standing()).isEqualTo(Standing.queued(1));

        await(events.run(ROOM, PREQUEUE_OPENS_AT * 1000));
        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.OPEN);
        List<String> registered = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            registered.add("user-" + i);
            assertThat(await(state.enqueue(ROOM, "user-" + i, PREQUEUE_OPENS_AT * 1000 + i))
                            .standing())
                    .isEqualTo(Standing.REGISTERED);
        }
        await(events.run(ROOM, OPENS_AT * 1000 - 1));
        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.OPEN);

        await(events.run(ROOM, OPENS_AT * 1000));

        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.ENDED);
        List<String> order = drawnOrder();
        long now = OPENS_AT * 1000 + 1;
        assertThat(status("early", now)).isEqualTo(Standing.queued(1));
        for (String user : registered) {
            assertThat(status(user, now).position())
                    .as(user)
                    .isEqualTo(2 + order.indexOf(TOKENS.drawTicket(ROOM, user)));
        }
        assertThat(await(state.enqueue(ROOM, "after", now)).standing()).isEqualTo(Standing.queued(22));
        await(events.run(ROOM, now + 1_000)); // over: nothing more happens
        assertThat(status("after", now + 2)).isEqualTo(Standing.queued(22));
    }

    /** An event another replica removed is not started from a config read before the removal. */
    @Test
    void anEventRemovedElsewhereIsNotStartedFromAStaleConfig() {
        configureEvent(PREQUEUE_OPENS_AT, OPENS_AT);
        RoomEvents events = replica();
        await(events.run(ROOM, PREQUEUE_OPENS_AT * 1000 - 1_000)); // the event is in this replica's cache
        await(state.configure(ROOM, RoomConfig.DEFAULTS, PREQUEUE_OPENS_AT * 1000 - 500)); // removed elsewhere

        await(events.run(ROOM, PREQUEUE_OPENS_AT * 1000));

        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.NONE);
    }

    /** Only "no pre-queue runs" is another replica's doing; a draw that cannot be made is a failure to report. */
    @Test
    void aDrawThatCannotBeMadeIsNotTakenForOneDoneElsewhere() {
        configureEvent(PREQUEUE_OPENS_AT, OPENS_AT);
        await(state.startPrequeue(ROOM));
        await(state.enqueue(ROOM, "a", PREQUEUE_OPENS_AT * 1000));
        Draw otherKeys = new Draw(
                HexFormat.of().parseHex("33".repeat(32)),
                SigningKey.fromSeed(HexFormat.of().parseHex("44".repeat(32))));
        List<String> registered = await(state.closePrequeue(ROOM)).orElseThrow();
        dev.gatehouse.waitingroom.draw.Commitment commitment = otherKeys.commit(
                ROOM, registered.stream().map(u -> TOKENS.drawTicket(ROOM, u)).toList(), OPENS_AT, null);
        await(state.keepCommit(
                ROOM,
                new String(commitment.commit().file(), StandardCharsets.UTF_8),
                new String(commitment.tree().ticketListFile(), StandardCharsets.US_ASCII)));

        try (dev.gatehouse.testing.http.CapturedLog log = dev.gatehouse.testing.http.CapturedLog.start()) {
            await(replica().run(ROOM, OPENS_AT * 1000));
            assertThat(log.messages())
                    .as("reported, not taken for a draw another replica ended")
                    .anySatisfy(message -> assertThat(message)
                            .contains("the event's step failed")
                            .contains("cannot be drawn here"));
            log.assertNoErrorOrStackTrace();
        }
        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.CLOSED);

        Throwable refused = dev.gatehouse.testing.Stages.failure(
                new RoomDraw(state, ROOM, ROOM, KEYS, null, user -> TOKENS.drawTicket(ROOM, user))
                        .open(OPENS_AT * 1000));
        assertThat(refused).isInstanceOf(RoomDraw.RefusedException.class);
        assertThat(((RoomDraw.RefusedException) refused).noPrequeue()).isFalse();

        Throwable over = dev.gatehouse.testing.Stages.failure(
                new RoomDraw(new MemoryQueueState(), ROOM, ROOM, KEYS, null, user -> user).open(0));
        assertThat(((RoomDraw.RefusedException) over).noPrequeue()).isTrue();
    }

    @Test
    void aRoomWithoutAnEventIsLeftAlone() {
        await(state.configure(ROOM, RoomConfig.DEFAULTS, 0));

        await(replica().run(ROOM, OPENS_AT * 1000));

        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.NONE);
    }

    /** A config changed by another replica is seen within the configs' max age (one stored here at once: RoomConfigsTest). */
    @Test
    void aConfigChangedElsewhereIsSeenWithinTheMaxAge() {
        await(state.configure(ROOM, RoomConfig.DEFAULTS, 0));
        RoomEvents events = replica();
        long t = PREQUEUE_OPENS_AT * 1000;
        await(events.run(ROOM, t));

        configureEvent(PREQUEUE_OPENS_AT, OPENS_AT);
        await(events.run(ROOM, t + 1));
        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.NONE);
        await(events.run(ROOM, t + CONFIG_MAX_AGE_MILLIS));
        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.OPEN);
    }

    /**
     * Three replicas run the opening at once while users keep arriving on four threads: each user
     * ends queued exactly once, the drawn ones first in the verifiable order, those who came during
     * the draw behind them.
     */
    @Test
    void replicasOpeningTogetherWhileUsersArriveQueueEveryUserOnceInTheDrawnOrder() throws Exception {
        configureEvent(PREQUEUE_OPENS_AT, OPENS_AT);
        long opening = OPENS_AT * 1000;
        RoomEvents first = replica();
        await(first.run(ROOM, PREQUEUE_OPENS_AT * 1000));
        List<String> early = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            early.add("early-" + i);
            await(state.enqueue(ROOM, "early-" + i, PREQUEUE_OPENS_AT * 1000 + i));
        }
        List<RoomEvents> replicas = List.of(first, replica(), replica());
        Set<String> arrived = ConcurrentHashMap.newKeySet();
        AtomicInteger threads = new AtomicInteger();

        Race.run(7, () -> {
            int me = threads.getAndIncrement();
            if (me < replicas.size()) {
                await(replicas.get(me).run(ROOM, opening));
            } else {
                for (int i = 0; i < 250; i++) {
                    String user = "during-" + me + "-" + i;
                    await(state.enqueue(ROOM, user, opening + i));
                    arrived.add(user);
                }
            }
        });
        for (RoomEvents replica : replicas) {
            await(replica.run(ROOM, opening + 1_000)); // whoever is left is placed now
        }

        assertThat(await(state.prequeue(ROOM))).isEqualTo(Prequeue.ENDED);
        List<String> order = drawnOrder();
        assertThat(order).hasSizeGreaterThanOrEqualTo(early.size());
        Set<String> drawnTickets = new HashSet<>(order);
        List<String> everyone = new ArrayList<>(early);
        everyone.addAll(arrived);
        List<Long> positions = new ArrayList<>();
        long now = opening + 2_000;
        for (String user : everyone) {
            Standing standing = status(user, now);
            assertThat(standing.state()).as(user).isEqualTo(QueueState.State.QUEUED);
            String ticket = TOKENS.drawTicket(ROOM, user);
            if (drawnTickets.contains(ticket)) {
                assertThat(standing.position()).as(user).isEqualTo(order.indexOf(ticket) + 1L);
            } else {
                assertThat(standing.position()).as(user).isGreaterThan(order.size());
            }
            positions.add(standing.position());
        }
        Collections.sort(positions);
        for (int i = 0; i < positions.size(); i++) {
            assertThat(positions.get(i)).isEqualTo(i + 1L);
        }
        assertThat(await(state.stats(ROOM, now)).queued()).isEqualTo(everyone.size());
    }
}
