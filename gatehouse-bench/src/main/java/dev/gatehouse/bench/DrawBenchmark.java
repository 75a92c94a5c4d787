package dev.gatehouse.bench;

import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.waitingroom.draw.Commitment;
import dev.gatehouse.waitingroom.draw.Draw;
import dev.gatehouse.waitingroom.draw.DrawCheckException;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import dev.gatehouse.waitingroom.draw.Drawn;
import dev.gatehouse.waitingroom.draw.TicketList;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The fair draw at a ticket drop's scale: committing a pre-queue (sort, Merkle tree, signed record),
 * drawing it (ECVRF, the order of every ticket, signed record), and what a verifier (and the gateway,
 * before it queues the order) does with the files: check the record and recompute every position
 * from the ticket list.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx2g"})
public class DrawBenchmark {

    @Param({"10000", "1000000"})
    public int tickets;

    private Draw draw;
    private List<String> ids;
    private Commitment commitment;
    private byte[] record;
    private byte[] list;

    @Setup(Level.Trial)
    public void setUp() {
        HexFormat hex = HexFormat.of();
        draw = new Draw(hex.parseHex("11".repeat(32)), SigningKey.fromSeed(hex.parseHex("22".repeat(32))));
        ids = new ArrayList<>(tickets);
        for (int i = 0; i < tickets; i++) {
            ids.add(TicketList.newId());
        }
        commitment = draw.commit("bench", ids, 1_767_225_600L, null);
        Drawn drawn = draw.draw(commitment, null, 1_767_225_660L);
        record = drawn.record().file();
        list = commitment.tree().ticketListFile();
    }

    @Benchmark
    public Commitment commit() {
        return draw.commit("bench", ids, 1_767_225_600L, null);
    }

    @Benchmark
    public Drawn drawCommitted() {
        return draw.draw(commitment, null, 1_767_225_660L);
    }

    @Benchmark
    public List<String> verifyEveryPosition() throws DrawCheckException {
        DrawRecord checked = DrawVerifier.checkRecord(record, null, null);
        return DrawVerifier.checkTickets(checked, list);
    }
}
