package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.merkle.MerkleLog;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A committed pre-queue: the signed commit record and the sorted tickets' Merkle tree, from which
 * each ticket's inclusion proof and the ticket list are served.
 */
public final class Commitment {

    private final Signed<DrawCommit> commit;
    private final Tree tree;

    Commitment(Signed<DrawCommit> commit, Tree tree) {
        this.commit = commit;
        this.tree = tree;
    }

    /** The signed commit record. */
    public Signed<DrawCommit> commit() {
        return commit;
    }

    /** The committed tickets, ascending. */
    public List<String> tickets() {
        return tree.tickets();
    }

    /** The ticket list file. */
    public byte[] ticketListFile() {
        return TicketList.file(tree.tickets());
    }

    /** The inclusion proof of {@code ticket}, or empty if it was not committed. */
    public Optional<InclusionProof> inclusionProof(String ticket) {
        int index = Collections.binarySearch(tree.tickets(), ticket);
        if (index < 0) {
            return Optional.empty();
        }
        List<String> path = tree.log().inclusionProof(index, tree.tickets().size()).stream()
                .map(DrawJson::hex)
                .toList();
        return Optional.of(new InclusionProof(ticket, index, tree.tickets().size(), path));
    }

    /** The RFC 9162 tree whose leaf i is the ASCII bytes of the i-th ticket. */
    record Tree(List<String> tickets, MerkleLog log) {

        static Tree of(List<String> sortedTickets) {
            MerkleLog log = new MerkleLog();
            for (String ticket : sortedTickets) {
                log.append(ticket.getBytes(StandardCharsets.US_ASCII));
            }
            return new Tree(List.copyOf(sortedTickets), log);
        }

        String root() {
            return DrawJson.hex(log.root());
        }
    }
}
