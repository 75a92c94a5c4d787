package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.merkle.MerkleLog;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The committed tickets' RFC 9162 tree, whose leaf i is the ASCII bytes of the i-th ticket id in
 * ascending order: its root, each ticket's inclusion proof, and the ticket list file. Building it
 * hashes every ticket twice; proofs then cost O(log n).
 */
public final class TicketTree {

    private final List<String> tickets;
    private final MerkleLog log;

    private TicketTree(List<String> tickets, MerkleLog log) {
        this.tickets = tickets;
        this.log = log;
    }

    /** The tree of {@code sortedTickets}: ticket ids, strictly ascending, at least one. */
    public static TicketTree of(List<String> sortedTickets) {
        if (sortedTickets.isEmpty()) {
            throw new IllegalArgumentException("tickets: none (there is no draw of 0 tickets)");
        }
        MerkleLog log = new MerkleLog();
        String previous = "";
        for (String ticket : sortedTickets) {
            if (!TicketList.isId(ticket)) {
                throw new IllegalArgumentException("tickets: \"" + ticket + "\" is not a ticket id");
            }
            if (ticket.compareTo(previous) <= 0) {
                throw new IllegalArgumentException("tickets: " + ticket + " is not after " + previous);
            }
            log.append(ticket.getBytes(StandardCharsets.US_ASCII));
            previous = ticket;
        }
        return new TicketTree(List.copyOf(sortedTickets), log);
    }

    /** The tickets, ascending. */
    public List<String> tickets() {
        return tickets;
    }

    /** The root, lowercase hex. */
    public String root() {
        return DrawJson.hex(log.root());
    }

    /** The inclusion proof of {@code ticket}, or empty if it is not in the tree. */
    public Optional<InclusionProof> inclusionProof(String ticket) {
        int index = Collections.binarySearch(tickets, ticket);
        if (index < 0) {
            return Optional.empty();
        }
        List<String> path = log.inclusionProof(index, tickets.size()).stream()
                .map(DrawJson::hex)
                .toList();
        return Optional.of(new InclusionProof(ticket, index, tickets.size(), path));
    }

    /** The ticket list file. */
    public byte[] ticketListFile() {
        return TicketList.file(tickets);
    }
}
