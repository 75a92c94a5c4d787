package dev.gatehouse.waitingroom.draw;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.proof.sign.SigningKey;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DrawTest {

    static final byte[] VRF_SECRET =
            HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    static final SigningKey SIGNING = SigningKey.fromSeed(
            HexFormat.of().parseHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
    static final Draw DRAW = new Draw(VRF_SECRET, SIGNING);
    static final long COMMITTED_AT = 1_767_225_600L;
    static final Beacon BEACON = new Beacon("drand quicknet", 1_692_803_367L, 3, 24_807_412L);

    static List<String> tickets(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return IntStream.range(0, count)
                .mapToObj(i -> {
                    byte[] id = new byte[16];
                    random.nextBytes(id);
                    return HexFormat.of().formatHex(id);
                })
                .toList();
    }

    static Drawn drawOf(Commitment commitment) {
        return DRAW.draw(commitment, null, COMMITTED_AT + 60);
    }

    @Test
    void everyFileAnyoneHoldsChecksOut() throws DrawCheckException {
        Commitment commitment = DRAW.commit("Spring drop", tickets(37, 1), COMMITTED_AT, null);
        Drawn drawn = drawOf(commitment);

        DrawRecord record = DrawVerifier.checkRecord(
                drawn.record().file(),
                HexFormat.of().formatHex(SIGNING.publicKey()),
                commitment.commit().file());

        assertThat(record).isEqualTo(drawn.record().document());
        for (String ticket : commitment.tree().tickets()) {
            byte[] proof =
                    commitment.tree().inclusionProof(ticket).orElseThrow().file();
            assertThat(DrawVerifier.checkInclusion(record, ticket, proof))
                    .isEqualTo(commitment.tree().tickets().indexOf(ticket));
        }
        assertThat(DrawVerifier.checkTickets(record, commitment.tree().ticketListFile()))
                .isEqualTo(drawn.order());
        assertThat(commitment.tree().inclusionProof("0".repeat(32))).isEmpty();
    }

    @Test
    void aBeaconsValueEntersTheDrawAndItsTimingIsChecked() throws DrawCheckException {
        Commitment commitment = DRAW.commit("Spring drop", tickets(5, 2), BEACON.roundTime() - 30, BEACON);
        byte[] value = HexFormat.of().parseHex("aa".repeat(32));
        Drawn drawn = DRAW.draw(commitment, value, BEACON.roundTime() + 1);
        Drawn other = DRAW.draw(commitment, HexFormat.of().parseHex("ab".repeat(32)), BEACON.roundTime() + 1);

        assertThat(DrawVerifier.checkRecord(
                                drawn.record().file(), null, commitment.commit().file())
                        .beaconValue())
                .isEqualTo("aa".repeat(32));
        assertThat(drawn.record().document().output())
                .isNotEqualTo(other.record().document().output());
        assertThatThrownBy(() -> DRAW.commit("Spring drop", tickets(5, 2), BEACON.roundTime(), BEACON))
                .hasMessageContaining(
                        "beacon: round 24807412 is published at " + BEACON.roundTime() + ", not after committed_at");
        assertThatThrownBy(() -> DRAW.draw(commitment, value, BEACON.roundTime() - 1))
                .hasMessageContaining("drawn_at: " + (BEACON.roundTime() - 1) + " is before the beacon round's time");
        assertThatThrownBy(() -> DRAW.draw(commitment, null, BEACON.roundTime() + 1))
                .hasMessage("beacon_value: missing for the beacon");
    }

    @Test
    void theSameInputsGiveTheSameBytesAndTheOrderIsAPermutation() {
        List<String> tickets = tickets(200, 3);
        Drawn once = drawOf(DRAW.commit("r", tickets, COMMITTED_AT, null));
        Drawn again = drawOf(DRAW.commit("r", tickets.reversed(), COMMITTED_AT, null));

        assertThat(again.record().file()).isEqualTo(once.record().file());
        assertThat(once.order()).containsExactlyInAnyOrderElementsOf(tickets).doesNotHaveDuplicates();
        assertThat(once.order()).isNotEqualTo(tickets.stream().sorted().toList());
    }

    @Test
    void eachPositionIsUniformOverManyDraws() {
        // 8 tickets, 8,000 outputs: every ticket's count per position is chi-square tested against
        // uniform with 7 degrees of freedom at significance 0.001 (critical value 24.322); the outputs are
        // seeded, so the verdict is the same on every run
        List<String> tickets = tickets(8, 4);
        long[][] counts = new long[8][8];
        SplittableRandom random = new SplittableRandom(5);
        int draws = 8_000;
        for (int d = 0; d < draws; d++) {
            byte[] output = new byte[64];
            random.nextBytes(output);
            List<String> order = Draw.order(output, tickets);
            for (int position = 0; position < 8; position++) {
                counts[tickets.indexOf(order.get(position))][position]++;
            }
        }
        double expected = draws / 8.0;
        for (long[] ticket : counts) {
            double chiSquare = 0;
            for (long observed : ticket) {
                chiSquare += (observed - expected) * (observed - expected) / expected;
            }
            assertThat(chiSquare).isLessThan(24.322);
        }
    }

    @Test
    void anyChangedByteOfAnyFileIsReportedNeverAccepted() throws DrawCheckException {
        Commitment commitment = DRAW.commit("Spring drop · 春", tickets(6, 6), BEACON.roundTime() - 30, BEACON);
        Drawn drawn = DRAW.draw(commitment, HexFormat.of().parseHex("0f".repeat(32)), BEACON.roundTime());
        byte[] record = drawn.record().file();
        byte[] commit = commitment.commit().file();
        String ticket = commitment.tree().tickets().get(3);
        byte[] proof = commitment.tree().inclusionProof(ticket).orElseThrow().file();
        byte[] list = commitment.tree().ticketListFile();
        DrawRecord checked = DrawVerifier.checkRecord(record, null, commit);

        for (int i = 0; i < record.length; i++) {
            byte[] tampered = flip(record, i);
            assertThatThrownBy(() -> DrawVerifier.checkRecord(tampered, null, commit))
                    .as("record byte %d", i)
                    .isInstanceOf(DrawCheckException.class);
        }
        for (int i = 0; i < commit.length; i++) {
            byte[] tampered = flip(commit, i);
            assertThatThrownBy(() -> DrawVerifier.checkRecord(record, null, tampered))
                    .as("commit byte %d", i)
                    .isInstanceOf(DrawCheckException.class);
        }
        for (int i = 0; i < proof.length; i++) {
            byte[] tampered = flip(proof, i);
            assertThatThrownBy(() -> DrawVerifier.checkInclusion(checked, ticket, tampered))
                    .as("proof byte %d", i)
                    .isInstanceOf(DrawCheckException.class);
        }
        for (int i = 0; i < list.length; i++) {
            byte[] tampered = flip(list, i);
            assertThatThrownBy(() -> DrawVerifier.checkTickets(checked, tampered))
                    .as("ticket list byte %d", i)
                    .isInstanceOf(DrawCheckException.class);
        }
    }

    private static byte[] flip(byte[] file, int index) {
        byte[] tampered = file.clone();
        tampered[index] ^= 0x01;
        return tampered;
    }

    @Test
    void namesWhatFailed() {
        Commitment commitment = DRAW.commit("Spring drop", tickets(6, 7), COMMITTED_AT, null);
        byte[] record = drawOf(commitment).record().file();
        Commitment otherTickets = DRAW.commit("Spring drop", tickets(6, 8), COMMITTED_AT, null);
        Draw otherKeys = new Draw(
                HexFormat.of().parseHex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),
                SigningKey.fromSeed(new byte[32]));

        assertFails(
                record,
                "f".repeat(64),
                null,
                "record: signed by " + HexFormat.of().formatHex(SIGNING.publicKey()) + ", not by the given signing key "
                        + "f".repeat(64));
        assertFails(record, null, otherTickets.commit().file(), "commit: root differs from the record's");
        assertFails(
                record,
                null,
                otherKeys
                        .commit("Spring drop", commitment.tree().tickets(), COMMITTED_AT, null)
                        .commit()
                        .file(),
                "commit: signing_public_key differs from the record's");
        assertFails(
                record,
                null,
                DRAW.commit("Spring drop", commitment.tree().tickets(), COMMITTED_AT - 1, null)
                        .commit()
                        .file(),
                "commit: committed_at differs from the record's");
        assertFails(
                edit(record, m -> with(m, "output", "00".repeat(64))),
                null,
                null,
                "record: the signature does not verify under signing_public_key");
        assertFails(
                resign(record, m -> with(m, "output", "00".repeat(64))),
                null,
                null,
                "record: output is not the VRF proof's output");
        assertFails(
                resign(record, m -> with(m, "room", "Spring drop 2")),
                null,
                null,
                "record: the VRF proof does not verify under vrf_public_key");
        assertFails(
                resign(record, m -> with(m, "proof", "00".repeat(80))),
                null,
                null,
                "record: the VRF proof does not verify under vrf_public_key");
    }

    @Test
    void refusesWhatTheSpecificationRefuses() {
        byte[] record = drawOf(DRAW.commit("Spring drop", tickets(3, 9), COMMITTED_AT, null))
                .record()
                .file();

        assertFails(
                resign(record, m -> with(m, "version", "gatehouse/draw/v2")),
                "record.version: not \"gatehouse/draw/v1\"");
        assertFails(resign(record, m -> with(m, "extra", "x")), "record: unknown member \"extra\"");
        assertFails(resign(record, m -> without(m, "drawn_at")), "record: member \"drawn_at\" is missing");
        assertFails(
                resign(record, m -> with(m, "root", ((String) m.get("root")).toUpperCase())),
                "record.root: not 32 bytes of lowercase hex");
        assertFails(
                resign(record, m -> with(m, "proof", "00".repeat(79))), "record.proof: not 80 bytes of lowercase hex");
        assertFails(resign(record, m -> with(m, "size", 0L)), "record.size: 0 is not an integer from 1 to 2^53 - 1");
        assertFails(resign(record, m -> with(m, "room", "")), "record.room: 0 characters (expected: 1 to 128)");
        assertFails(resign(record, m -> with(m, "room", "é".repeat(129))), "record.room: 129 characters");
        assertFails(resign(record, m -> with(m, "room", "a\u0000b")), "record.room: holds U+0000");
        assertFails(resign(record, m -> with(m, "room", "a\ud800b")), "record.room: holds an unpaired surrogate");
        assertFails(
                resign(record, m -> with(m, "vrf_public_key", m.get("signing_public_key"))),
                "record.signing_public_key: the same key as vrf_public_key");
        assertFails(
                resign(record, m -> with(m, "drawn_at", COMMITTED_AT - 1)),
                "record.drawn_at: " + (COMMITTED_AT - 1) + " is before committed_at " + COMMITTED_AT);
        assertFails(
                resign(record, m -> with(m, "beacon_value", "00")), "record.beacon_value: present without a beacon");
        Beacon later = new Beacon(BEACON.chain(), BEACON.genesisTime(), BEACON.periodSeconds(), BEACON.round() + 100);
        assertFails(
                resign(record, m -> with(m, "beacon", later.members())), "record.beacon_value: missing for the beacon");
        assertFails(
                resign(record, m -> with(with(m, "beacon", BEACON.members()), "beacon_value", "00")),
                "record.beacon: round 24807412 is published at " + BEACON.roundTime() + ", not after committed_at");
        Map<String, Object> noRound = new HashMap<>(BEACON.members());
        noRound.put("round", 0L);
        assertFails(
                resign(record, m -> with(with(m, "beacon", noRound), "beacon_value", "00")),
                "record.beacon.round: 0 is not an integer from 1 to 2^53 - 1");
        String json = new String(record, StandardCharsets.UTF_8);
        assertFails(
                json.replace("{", "{\"size\":3,").getBytes(StandardCharsets.UTF_8),
                "record: member \"size\" appears twice");
        assertFails(
                json.replace("\"drawn_at\":" + (COMMITTED_AT + 60), "\"drawn_at\":" + (COMMITTED_AT + 60) + ".0")
                        .getBytes(StandardCharsets.UTF_8),
                "record.drawn_at: " + (COMMITTED_AT + 60) + ".0 is not an integer");
    }

    @Test
    void refusesASignatureWhoseSIsNotReduced() {
        // RFC 8032 strict: S + L is the same point arithmetic but a second spelling, which must not verify
        byte[] record = drawOf(DRAW.commit("Spring drop", tickets(3, 10), COMMITTED_AT, null))
                .record()
                .file();
        Map<String, Object> members = members(record);
        byte[] signature = HexFormat.of().parseHex((String) members.get("signature"));
        BigInteger order = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
        byte[] s = new byte[32];
        for (int i = 0; i < 32; i++) {
            s[31 - i] = signature[32 + i];
        }
        byte[] sPlusL = new BigInteger(1, s).add(order).toByteArray();
        assertThat(sPlusL.length).isLessThanOrEqualTo(32);
        byte[] forged = signature.clone();
        java.util.Arrays.fill(forged, 32, 64, (byte) 0);
        for (int i = 0; i < sPlusL.length; i++) {
            forged[32 + i] = sPlusL[sPlusL.length - 1 - i];
        }

        assertFails(
                DrawJson.canonical(with(members, "signature", HexFormat.of().formatHex(forged))),
                null,
                null,
                "record: the signature does not verify under signing_public_key");
    }

    @Test
    void checksInclusionProofsAndTicketListsStrictly() throws DrawCheckException {
        Commitment commitment = DRAW.commit("Spring drop", tickets(5, 11), COMMITTED_AT, null);
        DrawRecord record = drawOf(commitment).record().document();
        String ticket = commitment.tree().tickets().get(1);
        InclusionProof proof = commitment.tree().inclusionProof(ticket).orElseThrow();
        String other = commitment.tree().tickets().get(2);

        assertThatThrownBy(() -> DrawVerifier.checkInclusion(record, other, proof.file()))
                .hasMessage("proof: for ticket " + ticket + ", not " + other);
        assertThatThrownBy(() -> DrawVerifier.checkInclusion(
                        record, ticket, new InclusionProof(ticket, 1, 6, proof.path()).file()))
                .hasMessage("proof: size 6, but the record commits 5 tickets");
        assertThatThrownBy(() -> DrawVerifier.checkInclusion(
                        record, ticket, new InclusionProof(ticket, 2, 5, proof.path()).file()))
                .hasMessage("proof: the path does not lead from ticket " + ticket + " at index 2 to the record's root");
        assertThatThrownBy(() -> DrawVerifier.checkInclusion(
                        record,
                        ticket,
                        new String(proof.file(), StandardCharsets.UTF_8)
                                .replace("\"index\":1", "\"index\":5")
                                .getBytes(StandardCharsets.UTF_8)))
                .hasMessage("proof.index: 5 is not from 0 to size - 1 (4)");
        assertThatThrownBy(() -> DrawVerifier.checkInclusion(record, ticket.toUpperCase(), proof.file()))
                .hasMessageContaining("is not a ticket id");

        String list = new String(commitment.tree().ticketListFile(), StandardCharsets.US_ASCII);
        List<String> lines = new ArrayList<>(commitment.tree().tickets());
        assertTicketsFail(
                record, list.substring(0, list.length() - 1), "not lines of 32 characters, each ending in LF");
        assertTicketsFail(record, list.replace("\n", "\r\n"), "not lines of 32 characters, each ending in LF");
        assertTicketsFail(record, "", "tickets: empty (there is no draw of 0 tickets)");
        assertTicketsFail(record, String.join("\n", lines.reversed()) + "\n", "line 2 is not after line 1");
        assertTicketsFail(record, lines.get(0) + "\n" + list, "line 2 is not after line 1");
        assertTicketsFail(record, list.toUpperCase(), "line 1 is not a ticket id");
        assertTicketsFail(
                record, String.join("\n", lines.subList(0, 4)) + "\n", "tickets: 4 ids, but the record commits 5");
        lines.set(4, "f".repeat(32));
        assertTicketsFail(
                record, String.join("\n", lines) + "\n", "tickets: the list's Merkle root is not the record's root");
    }

    private static void assertTicketsFail(DrawRecord record, String list, String message) {
        assertThatThrownBy(() -> DrawVerifier.checkTickets(record, list.getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(DrawCheckException.class)
                .hasMessageContaining(message);
    }

    private static void assertFails(byte[] record, String message) {
        assertFails(record, null, null, message);
    }

    private static void assertFails(byte[] record, String signingKey, byte[] commit, String message) {
        assertThatThrownBy(() -> DrawVerifier.checkRecord(record, signingKey, commit))
                .isInstanceOf(DrawCheckException.class)
                .hasMessageContaining(message);
    }

    static Map<String, Object> members(byte[] file) {
        try {
            Map<String, Object> members =
                    new HashMap<>(DrawJson.read("record", file).values());
            members.replaceAll((name, value) -> value instanceof DrawJson.Members nested ? nested.values() : value);
            return members;
        } catch (DrawCheckException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, Object> with(Map<String, Object> members, String name, Object value) {
        Map<String, Object> changed = new HashMap<>(members);
        changed.put(name, value);
        return changed;
    }

    private static Map<String, Object> without(Map<String, Object> members, String name) {
        Map<String, Object> changed = new HashMap<>(members);
        changed.remove(name);
        return changed;
    }

    /** The record with its members edited, keeping the old signature. */
    private static byte[] edit(byte[] record, UnaryOperator<Map<String, Object>> change) {
        return DrawJson.canonical(change.apply(members(record)));
    }

    /** The record with its members edited and signed again by the room's key: only the edit can fail it. */
    private static byte[] resign(byte[] record, UnaryOperator<Map<String, Object>> change) {
        Map<String, Object> members = without(change.apply(members(record)), "signature");
        members.put("signature", HexFormat.of().formatHex(SIGNING.sign(DrawJson.canonical(members))));
        return DrawJson.canonical(members);
    }

    @Test
    void aBeaconChainNamesTheFirstRoundPublishedAfterTheCommit() {
        BeaconChain chain = new BeaconChain("drand quicknet", 1_692_803_367L, 3);

        assertThat(chain.firstRoundAfter(1_692_803_367L).round()).isEqualTo(2);
        assertThat(chain.firstRoundAfter(1_692_803_369L).round()).isEqualTo(2);
        assertThat(chain.firstRoundAfter(1_692_803_370L).round()).isEqualTo(3);
        assertThat(chain.firstRoundAfter(1_000L).round()).isEqualTo(1);
        for (long t = 1_767_225_590L; t < 1_767_225_610L; t++) {
            Beacon beacon = chain.firstRoundAfter(t);
            assertThat(beacon.roundTime()).isGreaterThan(t);
            assertThat(beacon.roundTime() - 3).isLessThanOrEqualTo(t);
        }
        assertThatThrownBy(() -> new BeaconChain("c", 0, 0)).hasMessageContaining("period_seconds");
    }
}
