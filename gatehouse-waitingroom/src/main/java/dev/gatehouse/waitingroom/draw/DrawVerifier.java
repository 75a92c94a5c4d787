package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.vrf.Ecvrf;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The checks anyone can run on a draw's files, offline and against the operator: each refuses
 * malformed input rather than repairing it, and names what failed.
 */
public final class DrawVerifier {

    private DrawVerifier() {}

    /**
     * The draw record in {@code recordFile}, once its form, its signature (by {@code signingKey} when
     * given, lowercase hex), its agreement with the signed commit record {@code commitFile} (when given),
     * its beacon timing and its VRF proof have checked out.
     */
    public static DrawRecord checkRecord(byte[] recordFile, @Nullable String signingKey, byte @Nullable [] commitFile)
            throws DrawCheckException {
        Signed<DrawRecord> signed = DrawRecord.readFile(recordFile);
        DrawRecord record = signed.document();
        if (!signed.verifies()) {
            throw new DrawCheckException("record: the signature does not verify under signing_public_key");
        }
        if (signingKey != null && !signingKey.equals(record.signingPublicKey())) {
            throw new DrawCheckException(
                    "record: signed by " + record.signingPublicKey() + ", not by the given signing key " + signingKey);
        }
        if (commitFile != null) {
            checkCommit(record.commit(), commitFile);
        }
        Optional<byte[]> output = Ecvrf.verify(
                DrawJson.bytes(record.commit().vrfPublicKey()), DrawJson.bytes(record.proof()), record.alpha());
        if (output.isEmpty()) {
            throw new DrawCheckException(
                    "record: the VRF proof does not verify under vrf_public_key for this commit and beacon value");
        }
        if (!DrawJson.hex(output.get()).equals(record.output())) {
            throw new DrawCheckException("record: output is not the VRF proof's output");
        }
        return record;
    }

    private static void checkCommit(DrawCommit drawn, byte[] commitFile) throws DrawCheckException {
        Signed<DrawCommit> signed = DrawCommit.readFile(commitFile);
        if (!signed.verifies()) {
            throw new DrawCheckException("commit: the signature does not verify under signing_public_key");
        }
        Map<String, Object> committed = signed.document().members();
        Map<String, Object> recorded = drawn.members();
        for (String name : new TreeSet<>(
                DrawJson.with(committed.keySet(), recorded.keySet().toArray(String[]::new)))) {
            if (!String.valueOf(committed.get(name)).equals(String.valueOf(recorded.get(name)))) {
                throw new DrawCheckException("commit: " + name + " differs from the record's");
            }
        }
    }

    /**
     * The leaf index of {@code ticket} in {@code record}'s tree, once the inclusion proof {@code proofFile}
     * has checked out against the record's root.
     */
    public static long checkInclusion(DrawRecord record, String ticket, byte[] proofFile) throws DrawCheckException {
        if (!TicketList.isId(ticket)) {
            throw new DrawCheckException("ticket: \"" + ticket + "\" is not a ticket id (32 lowercase hex)");
        }
        InclusionProof proof = InclusionProof.readFile(proofFile);
        if (!proof.ticket().equals(ticket)) {
            throw new DrawCheckException("proof: for ticket " + proof.ticket() + ", not " + ticket);
        }
        if (proof.size() != record.commit().size()) {
            throw new DrawCheckException("proof: size " + proof.size() + ", but the record commits "
                    + record.commit().size() + " tickets");
        }
        if (!proof.leadsTo(record.commit().root())) {
            throw new DrawCheckException("proof: the path does not lead from ticket " + ticket + " at index "
                    + proof.index() + " to the record's root");
        }
        return proof.index();
    }

    /**
     * The committed tickets in drawn order, once the ticket list {@code ticketsFile} has checked out
     * against the record's size and root.
     */
    public static List<String> checkTickets(DrawRecord record, byte[] ticketsFile) throws DrawCheckException {
        List<String> tickets = TicketList.read(ticketsFile);
        if (tickets.size() != record.commit().size()) {
            throw new DrawCheckException("tickets: " + tickets.size() + " ids, but the record commits "
                    + record.commit().size());
        }
        if (!TicketTree.of(tickets).root().equals(record.commit().root())) {
            throw new DrawCheckException("tickets: the list's Merkle root is not the record's root");
        }
        return Draw.order(DrawJson.bytes(record.output()), tickets);
    }
}
