package dev.gatehouse.waitingroom.draw;

/**
 * A committed pre-queue.
 *
 * @param commit the signed commit record
 * @param tree the committed tickets' tree (inclusion proofs, the ticket list)
 */
public record Commitment(Signed<DrawCommit> commit, TicketTree tree) {}
