package dev.gatehouse.waitingroom.draw;

import dev.gatehouse.proof.merkle.MerkleLog;
import dev.gatehouse.proof.vrf.Ecvrf;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The commit record: the pre-queue's tickets, fixed as the root of their Merkle tree before anyone can
 * know the order they will be drawn in.
 *
 * @param room the room's name (1–128 Unicode characters, no U+0000)
 * @param committedAt Unix seconds of the commit
 * @param size the number of tickets (≥ 1)
 * @param root the RFC 9162 root over the sorted ticket ids, lowercase hex
 * @param vrfPublicKey the ECVRF key that will draw, lowercase hex
 * @param signingPublicKey the Ed25519 key that signs the records, lowercase hex, never the VRF key
 * @param beacon the public beacon round whose value enters the draw, or null for none
 */
public record DrawCommit(
        String room,
        long committedAt,
        long size,
        String root,
        String vrfPublicKey,
        String signingPublicKey,
        @Nullable Beacon beacon)
        implements DrawDocument {

    /** The version every draw file names. */
    public static final String VERSION = "gatehouse/draw/v1";

    static final Set<String> MEMBERS =
            Set.of("version", "room", "committed_at", "size", "root", "vrf_public_key", "signing_public_key");

    /** Refuses what the specification refuses. */
    public DrawCommit {
        checkText("room", room);
        Beacon.checkInteger("committed_at", committedAt, 0);
        Beacon.checkInteger("size", size, 1);
        checkHex("root", root, MerkleLog.HASH_BYTES);
        checkHex("vrf_public_key", vrfPublicKey, Ecvrf.PUBLIC_KEY_BYTES);
        checkHex("signing_public_key", signingPublicKey, Ecvrf.PUBLIC_KEY_BYTES);
        if (signingPublicKey.equals(vrfPublicKey)) {
            throw new IllegalArgumentException("signing_public_key: the same key as vrf_public_key");
        }
        if (beacon != null && beacon.roundTime() <= committedAt) {
            throw new IllegalArgumentException("beacon: round " + beacon.round() + " is published at "
                    + beacon.roundTime() + ", not after committed_at " + committedAt);
        }
    }

    @Override
    public Map<String, Object> members() {
        Map<String, Object> members = new HashMap<>();
        members.put("version", VERSION);
        members.put("room", room);
        members.put("committed_at", committedAt);
        members.put("size", size);
        members.put("root", root);
        members.put("vrf_public_key", vrfPublicKey);
        members.put("signing_public_key", signingPublicKey);
        if (beacon != null) {
            members.put("beacon", beacon.members());
        }
        return members;
    }

    /**
     * The VRF input: {@code "gatehouse/draw/v1" ‖ 0x00 ‖ room ‖ 0x00 ‖ root ‖ be64(size) ‖ beaconValue}
     * ({@code beaconValue} empty without a beacon).
     */
    public byte[] alpha(byte[] beaconValue) {
        ByteArrayOutputStream alpha = new ByteArrayOutputStream();
        alpha.writeBytes(VERSION.getBytes(StandardCharsets.US_ASCII));
        alpha.write(0);
        alpha.writeBytes(room.getBytes(StandardCharsets.UTF_8));
        alpha.write(0);
        alpha.writeBytes(DrawJson.bytes(root));
        alpha.writeBytes(ByteBuffer.allocate(Long.BYTES).putLong(size).array());
        alpha.writeBytes(beaconValue);
        return alpha.toByteArray();
    }

    /** Reads the commit members of {@code members} (whose other members the caller has checked). */
    static DrawCommit read(DrawJson.Members members) throws DrawCheckException {
        if (!VERSION.equals(members.text("version"))) {
            throw new DrawCheckException(members.what() + ".version: not \"" + VERSION + "\"");
        }
        Beacon beacon = null;
        if (members.has("beacon")) {
            DrawJson.Members fields = members.object("beacon");
            fields.expect(Set.of("chain", "genesis_time", "period_seconds", "round"), Set.of());
            beacon = DrawJson.checked(
                    fields.what(),
                    () -> new Beacon(
                            fields.text("chain"),
                            fields.integer("genesis_time"),
                            fields.integer("period_seconds"),
                            fields.integer("round")));
        }
        Beacon named = beacon;
        return DrawJson.checked(
                members.what(),
                () -> new DrawCommit(
                        members.text("room"),
                        members.integer("committed_at"),
                        members.integer("size"),
                        members.text("root"),
                        members.text("vrf_public_key"),
                        members.text("signing_public_key"),
                        named));
    }

    /** Reads and checks the signed commit record file (its signature is checked by the caller). */
    public static Signed<DrawCommit> readFile(byte[] file) throws DrawCheckException {
        DrawJson.Members members = DrawJson.read("commit", file);
        members.expect(DrawJson.with(MEMBERS, "signature"), Set.of("beacon"));
        return new Signed<>(read(members), members.hex("signature", 64));
    }

    static void checkText(String name, String text) {
        int characters = text.codePointCount(0, text.length());
        if (characters < 1 || characters > 128) {
            throw new IllegalArgumentException(name + ": " + characters + " characters (expected: 1 to 128)");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) {
                throw new IllegalArgumentException(name + ": holds U+0000");
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(name + ": holds an unpaired surrogate (not Unicode text)");
            }
        }
    }

    static void checkHex(String name, String hex, int bytes) {
        if (hex.length() != 2 * bytes || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException(name + ": not " + bytes + " bytes of lowercase hex");
        }
    }
}
