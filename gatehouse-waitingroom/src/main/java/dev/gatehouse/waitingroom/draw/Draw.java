package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.proof.vrf.Ecvrf;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The operator's side of the draw ({@code gatehouse/draw/v1}): commits a pre-queue's tickets, then
 * draws their order with the room's ECVRF key and signs both records with the room's signing key.
 */
public final class Draw {

    private final byte[] vrfSecretKey;
    private final SigningKey signingKey;
    private final String vrfPublicKey;
    private final String signingPublicKey;

    /** A draw with the ECVRF secret {@code vrfSecretKey} (32 bytes) and {@code signingKey}, which must differ. */
    public Draw(byte[] vrfSecretKey, SigningKey signingKey) {
        if (vrfSecretKey.length != Ecvrf.SECRET_KEY_BYTES) {
            throw new IllegalArgumentException("vrfSecretKey: " + vrfSecretKey.length + " bytes (expected: 32)");
        }
        this.vrfSecretKey = vrfSecretKey.clone();
        this.signingKey = signingKey;
        this.vrfPublicKey = DrawJson.hex(Ecvrf.publicKey(vrfSecretKey));
        this.signingPublicKey = DrawJson.hex(signingKey.publicKey());
        if (vrfPublicKey.equals(signingPublicKey)) {
            throw new IllegalArgumentException("the signing key must not be the VRF key");
        }
    }

    /**
     * A draw with the keys given in hex: the ECVRF secret {@code vrfKeyHex} and the Ed25519 seed
     * {@code signingSeedHex} (64 hex digits each); an empty one is made afresh (a key of this process
     * alone).
     */
    public static Draw ofHexKeys(String vrfKeyHex, String signingSeedHex) {
        byte[] vrfKey =
                vrfKeyHex.isEmpty() ? Ecvrf.generateSecretKey() : HexFormat.of().parseHex(vrfKeyHex);
        byte[] signingSeed = signingSeedHex.isEmpty()
                ? SigningKey.generateSeed()
                : HexFormat.of().parseHex(signingSeedHex);
        return new Draw(vrfKey, SigningKey.fromSeed(signingSeed));
    }

    /**
     * Commits {@code tickets} (distinct ticket ids, at least one) at {@code committedAt} (Unix seconds),
     * naming {@code beacon} when its value is to enter the draw.
     */
    public Commitment commit(String room, Collection<String> tickets, long committedAt, @Nullable Beacon beacon) {
        List<String> sorted = tickets.stream().sorted().toList();
        TicketTree tree = TicketTree.of(sorted);
        DrawCommit commit =
                new DrawCommit(room, committedAt, sorted.size(), tree.root(), vrfPublicKey, signingPublicKey, beacon);
        return new Commitment(Signed.sign(commit, signingKey), tree);
    }

    /**
     * Draws the committed tickets' order at {@code drawnAt} (Unix seconds), with {@code beaconValue} —
     * the named beacon round's value — exactly when the commitment names a beacon.
     */
    public Drawn draw(Commitment commitment, byte @Nullable [] beaconValue, long drawnAt) {
        DrawCommit commit = commitment.commit().document();
        if (!commit.vrfPublicKey().equals(vrfPublicKey)
                || !commit.signingPublicKey().equals(signingPublicKey)) {
            throw new IllegalArgumentException("the commitment names other keys than this draw's");
        }
        byte[] alpha = commit.alpha(beaconValue == null ? new byte[0] : beaconValue);
        byte[] proof = Ecvrf.prove(vrfSecretKey, alpha);
        byte[] output = Ecvrf.proofToHash(proof).orElseThrow();
        DrawRecord record = new DrawRecord(
                commit,
                beaconValue == null ? null : DrawJson.hex(beaconValue),
                DrawJson.hex(proof),
                DrawJson.hex(output),
                drawnAt);
        return new Drawn(
                Signed.sign(record, signingKey), order(output, commitment.tree().tickets()));
    }

    /**
     * {@code tickets} in drawn order: ranked by SHA-256(output ‖ ticket id) ascending as unsigned
     * bytes, ties by ticket id; the first is position 1.
     */
    public static List<String> order(byte[] output, Collection<String> tickets) {
        MessageDigest sha256 = sha256();
        // lowercase hex compares as its bytes do unsigned
        record Scored(String score, String ticket) {}
        return tickets.stream()
                .map(ticket -> {
                    sha256.update(output);
                    return new Scored(DrawJson.hex(sha256.digest(ticket.getBytes(StandardCharsets.US_ASCII))), ticket);
                })
                .sorted(Comparator.comparing(Scored::score).thenComparing(Scored::ticket))
                .map(Scored::ticket)
                .toList();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return "Draw[vrf " + vrfPublicKey + ", signing " + signingPublicKey + "]";
    }
}
