package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.vrf.Ecvrf;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The draw record: the commit record, the beacon's value, and the ECVRF proof and output that order
 * the committed tickets.
 *
 * @param commit what was committed
 * @param beaconValue the named beacon round's value as lowercase hex, exactly when the commit names a beacon
 * @param proof the ECVRF proof (pi), 80 bytes as lowercase hex
 * @param output the ECVRF output (beta), 64 bytes as lowercase hex
 * @param drawnAt Unix seconds of the draw, not before the commit (nor before the beacon round)
 */
public record DrawRecord(DrawCommit commit, @Nullable String beaconValue, String proof, String output, long drawnAt)
        implements DrawDocument {

    /** The longest beacon value taken, in bytes (drand's are 32). */
    public static final int MAX_BEACON_VALUE_BYTES = 1024;

    /** Refuses what the specification refuses. */
    public DrawRecord {
        Beacon beacon = commit.beacon();
        if ((beacon == null) != (beaconValue == null)) {
            throw new IllegalArgumentException(
                    beacon == null ? "beacon_value: present without a beacon" : "beacon_value: missing for the beacon");
        }
        if (beaconValue != null
                && (beaconValue.isEmpty()
                        || beaconValue.length() > 2 * MAX_BEACON_VALUE_BYTES
                        || beaconValue.length() % 2 != 0)) {
            throw new IllegalArgumentException(
                    "beacon_value: not 1 to " + MAX_BEACON_VALUE_BYTES + " bytes of lowercase hex");
        }
        if (beaconValue != null) {
            DrawCommit.checkHex("beacon_value", beaconValue, beaconValue.length() / 2);
        }
        DrawCommit.checkHex("proof", proof, Ecvrf.PROOF_BYTES);
        DrawCommit.checkHex("output", output, Ecvrf.OUTPUT_BYTES);
        Beacon.checkInteger("drawn_at", drawnAt, 0);
        if (drawnAt < commit.committedAt()) {
            throw new IllegalArgumentException(
                    "drawn_at: " + drawnAt + " is before committed_at " + commit.committedAt());
        }
        if (beacon != null && drawnAt < beacon.roundTime()) {
            throw new IllegalArgumentException(
                    "drawn_at: " + drawnAt + " is before the beacon round's time " + beacon.roundTime());
        }
    }

    @Override
    public String signingPublicKey() {
        return commit.signingPublicKey();
    }

    @Override
    public Map<String, Object> members() {
        Map<String, Object> members = commit.members();
        if (beaconValue != null) {
            members.put("beacon_value", beaconValue);
        }
        members.put("proof", proof);
        members.put("output", output);
        members.put("drawn_at", drawnAt);
        return members;
    }

    /** The VRF input this draw proved. */
    public byte[] alpha() {
        return commit.alpha(beaconValue == null ? new byte[0] : DrawJson.bytes(beaconValue));
    }

    /** Reads and checks the form of a signed draw record file (its signature is checked by the caller). */
    public static Signed<DrawRecord> readFile(byte[] file) throws DrawCheckException {
        DrawJson.Members members = DrawJson.read("record", file);
        members.expect(
                DrawJson.with(DrawCommit.MEMBERS, "proof", "output", "drawn_at", "signature"),
                Set.of("beacon", "beacon_value"));
        DrawCommit commit = DrawCommit.read(members);
        String beaconValue = members.has("beacon_value") ? members.text("beacon_value") : null;
        String proof = members.text("proof");
        String output = members.text("output");
        long drawnAt = members.integer("drawn_at");
        DrawRecord record =
                DrawJson.checked(members.what(), () -> new DrawRecord(commit, beaconValue, proof, output, drawnAt));
        return new Signed<>(record, members.hex("signature", 64));
    }
}
