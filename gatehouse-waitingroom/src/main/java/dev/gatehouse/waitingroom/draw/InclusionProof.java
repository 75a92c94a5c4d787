package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.merkle.MerkleLog;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A ticket's inclusion proof: the RFC 9162 audit path of its leaf in the commit's tree.
 *
 * @param ticket the ticket id
 * @param index its leaf index, from 0
 * @param size the tree's size
 * @param path the audit path, lowercase hex hashes from the leaf's sibling up
 */
public record InclusionProof(String ticket, long index, long size, List<String> path) {

    /** Refuses what the specification refuses. */
    public InclusionProof {
        if (!TicketList.isId(ticket)) {
            throw new IllegalArgumentException("ticket: not a ticket id (32 lowercase hex)");
        }
        Beacon.checkInteger("size", size, 1);
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("index: " + index + " is not from 0 to size - 1 (" + (size - 1) + ")");
        }
        if (path.size() > MerkleLog.MAX_PROOF_HASHES) {
            throw new IllegalArgumentException("path: more than " + MerkleLog.MAX_PROOF_HASHES + " hashes");
        }
        for (String hash : path) {
            DrawCommit.checkHex("path", hash, MerkleLog.HASH_BYTES);
        }
        path = List.copyOf(path);
    }

    /** Whether the path leads from this ticket's leaf to {@code root} (lowercase hex). */
    public boolean leadsTo(String root) {
        return MerkleLog.verifyInclusion(
                ticket.getBytes(StandardCharsets.US_ASCII),
                index,
                size,
                path.stream().map(DrawJson::bytes).toList(),
                DrawJson.bytes(root));
    }

    /** The file: canonical JSON. */
    public byte[] file() {
        return DrawJson.canonical(
                Map.of("version", DrawCommit.VERSION, "ticket", ticket, "index", index, "size", size, "path", path));
    }

    /** Reads and checks the form of an inclusion proof file. */
    public static InclusionProof readFile(byte[] file) throws DrawCheckException {
        DrawJson.Members members = DrawJson.read("proof", file);
        members.expect(Set.of("version", "ticket", "index", "size", "path"), Set.of());
        if (!DrawCommit.VERSION.equals(members.text("version"))) {
            throw new DrawCheckException("proof.version: not \"" + DrawCommit.VERSION + "\"");
        }
        String ticket = members.text("ticket");
        long index = members.integer("index");
        long size = members.integer("size");
        List<String> path = members.strings("path");
        return DrawJson.checked("proof", () -> new InclusionProof(ticket, index, size, path));
    }
}
