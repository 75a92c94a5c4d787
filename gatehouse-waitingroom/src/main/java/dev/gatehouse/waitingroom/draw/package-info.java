/**
 * The fair draw, {@code gatehouse/draw/v1}: a pre-queue's tickets committed as an RFC 9162 Merkle
 * tree in a signed commit record, ordered by an ECVRF (RFC 9381) output over that commitment, the
 * signed draw record, inclusion proofs and the ticket list — and the strict checks anyone can run on
 * them offline ({@link dev.gatehouse.waitingroom.draw.DrawVerifier}).
 */
@NullMarked
package dev.gatehouse.waitingroom.draw;

import org.jspecify.annotations.NullMarked;
