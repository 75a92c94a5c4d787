package dev.gatehouse.waitingroom.draw;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.proof.sign.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/draw.md's worked example, byte for byte: every value the page shows is the one computed here. */
class DrawWorkedExampleTest {

    @Test
    void theWorkedExampleIsWhatTheDrawProduces() throws Exception {
        String page = Files.readString(Path.of("..", "docs", "draw.md"));
        HexFormat hex = HexFormat.of();
        Draw draw = new Draw(
                hex.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
                SigningKey.fromSeed(hex.parseHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")));
        List<String> tickets = List.of(
                "00000000000000000000000000000001",
                "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
                "c0ffee00c0ffee00c0ffee00c0ffee00",
                "ffffffffffffffffffffffffffffffff",
                "0123456789abcdef0123456789abcdef");
        Commitment commitment = draw.commit("Spring drop", tickets, 1_767_225_600L, null);
        Drawn drawn = draw.draw(commitment, null, 1_767_225_660L);
        byte[] output = hex.parseHex(drawn.record().document().output());

        assertThat(page)
                .contains("```\n" + text(commitment.tree().ticketListFile()) + "```")
                .contains("```json\n" + text(commitment.commit().file()) + "\n```")
                .contains("```\n" + hex.formatHex(drawn.record().document().alpha()) + "\n```")
                .contains("```json\n" + text(drawn.record().file()) + "\n```")
                .contains("```json\n"
                        + text(commitment
                                .tree()
                                .inclusionProof("7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f")
                                .orElseThrow()
                                .file())
                        + "\n```");
        for (int i = 0; i < drawn.order().size(); i++) {
            String ticket = drawn.order().get(i);
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(output);
            String score = hex.formatHex(sha256.digest(ticket.getBytes(StandardCharsets.US_ASCII)));
            assertThat(page).contains("| " + (i + 1) + " | `" + ticket + "` | `" + score + "` |");
        }
        assertThat(DrawVerifier.checkTickets(
                        DrawVerifier.checkRecord(
                                drawn.record().file(), null, commitment.commit().file()),
                        commitment.tree().ticketListFile()))
                .startsWith("7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f");
    }

    private static String text(byte[] file) throws IOException {
        return new String(file, StandardCharsets.UTF_8);
    }
}
