package dev.gatehouse.waitingroom;

import static dev.gatehouse.testing.Stages.await;
import static dev.gatehouse.testing.Stages.failure;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.draw.Draw;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

final class RoomDrawTest {

    private static final long NOW = 1_767_225_600_000L;
    private static final Draw KEYS = new Draw(
            HexFormat.of().parseHex("11".repeat(32)),
            SigningKey.fromSeed(HexFormat.of().parseHex("22".repeat(32))));
    private static final QueueTokens TOKENS = new QueueTokens("a-test-secret-that-is-long-enough-for-hs256", () -> NOW);
    private static final UnaryOperator<String> TICKET_OF = user -> TOKENS.drawTicket("room", user);

    private final MemoryQueueState memory = new MemoryQueueState();

    private RoomDraw draw(QueueState state) {
        return new RoomDraw(state, "room", "the-room", KEYS, null, TICKET_OF);
    }

    /** Opens asked for while one runs share its run and its answer: the draw is computed once. */
    @Test
    void opensAskedForWhileOneRunsShareIt() {
        AtomicInteger closes = new AtomicInteger();
        CompletableFuture<Void> release = new CompletableFuture<>();
        QueueState held = new ForwardingQueueState(memory) {
            @Override
            public CompletionStage<Optional<List<String>>> closePrequeue(String room) {
                closes.incrementAndGet();
                return release.thenCompose(v -> super.closePrequeue(room));
            }
        };
        await(memory.startPrequeue("room"));
        for (String user : List.of("a", "b", "c")) {
            await(memory.enqueue("room", user, NOW));
        }
        RoomDraw draw = draw(held);
        List<CompletionStage<RoomDraw.Opened>> opens = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            opens.add(draw.open(NOW));
        }
        release.complete(null);

        RoomDraw.Opened first = await(opens.getFirst());
        assertThat(first.tickets()).isEqualTo(3);
        assertThat(first.drawn()).isTrue();
        for (CompletionStage<RoomDraw.Opened> open : opens) {
            assertThat(await(open)).isSameAs(first);
        }
        assertThat(closes).hasValue(1);
    }

    /**
     * Users take part under their tickets: the list names no user id, and each user's place is its
     * ticket's place in the order any verifier recomputes from the files.
     */
    @Test
    void usersAreQueuedInTheOrderOfTheirTicketsAsAVerifierFindsIt() throws Exception {
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            users.add("user-" + i + "@example.com");
        }
        await(memory.startPrequeue("room"));
        for (String user : users) {
            assertThat(await(memory.enqueue("room", user, NOW)).standing()).isEqualTo(Standing.REGISTERED);
        }
        RoomDraw draw = draw(memory);

        await(draw.open(NOW + 1_000));

        RoomDraw.Kept kept = await(draw.files()).orElseThrow();
        String list = new String(kept.tickets(), StandardCharsets.US_ASCII);
        for (String user : users) {
            assertThat(list).doesNotContain(user);
        }
        DrawRecord record = DrawVerifier.checkRecord(kept.record(), null, kept.commit());
        assertThat(record.commit().room()).isEqualTo("the-room");
        List<String> order = DrawVerifier.checkTickets(record, kept.tickets());
        List<String> sorted = order.stream().sorted().toList();
        for (String user : users) {
            String ticket = draw.ticketOf(user);
            long place = await(memory.status("room", user, NOW + 2_000)).position();
            assertThat(place).as(user).isEqualTo(order.indexOf(ticket) + 1L);
            byte[] proof = await(draw.proof(ticket)).orElseThrow().file();
            assertThat(DrawVerifier.checkInclusion(record, ticket, proof)).isEqualTo(sorted.indexOf(ticket));
        }
        assertThat(await(draw.proof(TICKET_OF.apply("never-registered")))).isEmpty();
    }

    /** A second open, here or on another replica, finds the pre-queue over and changes nothing. */
    @Test
    void anOpenAfterTheDrawIsRefusedAndChangesNothing() {
        await(memory.startPrequeue("room"));
        await(memory.enqueue("room", "a", NOW));
        await(memory.enqueue("room", "b", NOW));
        await(draw(memory).open(NOW));
        long aAt = await(memory.status("room", "a", NOW)).position();

        Throwable refused = failure(draw(memory).open(NOW + 1));

        assertThat(refused)
                .isInstanceOf(RoomDraw.RefusedException.class)
                .hasMessage("no pre-queue is running: the queue is open");
        assertThat(await(memory.status("room", "a", NOW + 2)).position()).isEqualTo(aAt);
    }

    /** A room with nobody registered opens with nothing to draw: nothing is kept, and the pre-queue ends. */
    @Test
    void anEmptyPrequeueOpensWithNoDraw() {
        await(memory.startPrequeue("room"));

        RoomDraw.Opened opened = await(draw(memory).open(NOW));

        assertThat(opened.tickets()).isZero();
        assertThat(opened.root()).isEmpty();
        assertThat(await(memory.draw("room"))).isEmpty();
        assertThat(await(memory.prequeue("room"))).isEqualTo(QueueState.Prequeue.ENDED);
        assertThat(await(memory.enqueue("room", "after", NOW)).standing()).isEqualTo(Standing.queued(1));
    }
}
