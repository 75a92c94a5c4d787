package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.gateway.Gateway;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.waitingroom.draw.Beacon;
import dev.gatehouse.waitingroom.draw.Commitment;
import dev.gatehouse.waitingroom.draw.Draw;
import dev.gatehouse.waitingroom.draw.Drawn;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {

    private static final SigningKey SIGNING = SigningKey.fromSeed(new byte[32]);
    private static final Draw DRAW = new Draw(HexFormat.of().parseHex("11".repeat(32)), SIGNING);
    private static final Beacon BEACON = new Beacon("drand quicknet", 1_692_803_367L, 3, 24_807_500L);

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private Commitment commitment;
    private Drawn drawn;
    private String ticket;
    private Path record;
    private Path commit;
    private Path proof;
    private Path tickets;

    @BeforeEach
    void draw() throws IOException {
        List<String> ids = IntStream.range(0, 10)
                .mapToObj(i -> HexFormat.of().formatHex(new byte[15]) + String.format("%02x", i * 7))
                .toList();
        commitment = DRAW.commit("Spring drop", ids, BEACON.roundTime() - 60, BEACON);
        drawn = DRAW.draw(commitment, HexFormat.of().parseHex("5a".repeat(32)), BEACON.roundTime() + 2);
        ticket = ids.get(4);
        record = write("record.json", drawn.record().file());
        commit = write("commit.json", commitment.commit().file());
        proof = write(
                "proof.json",
                commitment.tree().inclusionProof(ticket).orElseThrow().file());
        tickets = write("tickets.txt", commitment.tree().ticketListFile());
    }

    @Test
    void checksEveryFileAndPrintsThePosition() {
        int exit = run(
                "verify",
                "--record",
                record.toString(),
                "--commit",
                commit.toString(),
                "--ticket",
                ticket,
                "--proof",
                proof.toString(),
                "--tickets",
                tickets.toString(),
                "--signing-key",
                HexFormat.of().formatHex(SIGNING.publicKey()));

        assertThat(exit).as(out + "" + err).isZero();
        assertThat(out.toString())
                .contains("record: ok (room \"Spring drop\", 10 tickets")
                .contains("commit: ok")
                .contains("vrf: ok")
                .contains("beacon: ok (round 24807500 of \"drand quicknet\"")
                .contains("ticket " + ticket + ": included (leaf 4 of 10)")
                .contains("positions: ok (10 tickets)")
                .contains("position: " + (drawn.order().indexOf(ticket) + 1) + "\n");
    }

    /** docs/draw.md's worked example and the command it shows. */
    @Test
    void theWorkedExampleOfTheDocsVerifies() throws IOException {
        HexFormat hex = HexFormat.of();
        Draw example = new Draw(
                hex.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),
                SigningKey.fromSeed(hex.parseHex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")));
        String first = "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f";
        Commitment exampleCommit = example.commit(
                "Spring drop",
                List.of(
                        "00000000000000000000000000000001",
                        first,
                        "c0ffee00c0ffee00c0ffee00c0ffee00",
                        "ffffffffffffffffffffffffffffffff",
                        "0123456789abcdef0123456789abcdef"),
                1_767_225_600L,
                null);
        write(
                "record.json",
                example.draw(exampleCommit, null, 1_767_225_660L).record().file());
        write("commit.json", exampleCommit.commit().file());
        write(
                "proof.json",
                exampleCommit.tree().inclusionProof(first).orElseThrow().file());
        write("tickets.txt", exampleCommit.tree().ticketListFile());

        int exit = run(
                "verify",
                "--record",
                record.toString(),
                "--commit",
                commit.toString(),
                "--ticket",
                first,
                "--proof",
                proof.toString(),
                "--tickets",
                tickets.toString());

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("positions: ok (5 tickets)\nposition: 1\n");
    }

    @Test
    void aTicketAndItsProofAloneConfirmInclusion() {
        assertThat(run("verify", "--record", record.toString(), "--ticket", ticket, "--proof", proof.toString()))
                .isZero();
        assertThat(out.toString()).contains("included").doesNotContain("position");
    }

    @Test
    void aTamperedFileFailsNamingWhatFailed() throws IOException {
        String json = Files.readString(record);
        Files.writeString(record, json.replace("\"drawn_at\":", "\"drawn_at\":1"));

        assertThat(run("verify", "--record", record.toString())).isEqualTo(1);
        assertThat(out.toString())
                .isEqualTo("FAILED: record: the signature does not verify under signing_public_key\n");
    }

    @Test
    void aTicketOutsideTheListFails() throws IOException {
        String outsider = "f".repeat(32);
        Files.writeString(
                proof,
                new String(
                                commitment
                                        .tree()
                                        .inclusionProof(ticket)
                                        .orElseThrow()
                                        .file(),
                                StandardCharsets.UTF_8)
                        .replace(ticket, outsider));

        assertThat(run("verify", "--record", record.toString(), "--ticket", outsider, "--proof", proof.toString()))
                .isEqualTo(1);
        assertThat(out.toString()).contains("FAILED: proof: the path does not lead from ticket " + outsider);
        out.getBuffer().setLength(0);
        assertThat(run("verify", "--record", record.toString(), "--ticket", outsider, "--tickets", tickets.toString()))
                .isEqualTo(1);
        assertThat(out.toString()).endsWith("FAILED: ticket " + outsider + " is not in the ticket list\n");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(run("verify")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--record=FILE'");
        assertUsage("--proof needs --ticket", "verify", "--record", record.toString(), "--proof", proof.toString());
        assertUsage("--ticket needs --proof", "verify", "--record", record.toString(), "--ticket", ticket);
        assertUsage("is not a ticket id", "verify", "--record", record.toString(), "--ticket", "X", "--tickets", "t");
        assertUsage(
                "--signing-key: not 64 lowercase hex",
                "verify",
                "--record",
                record.toString(),
                "--signing-key",
                "AB".repeat(32));
    }

    @Test
    void aFileThatCannotBeHadIsAFailedCheck() {
        Path missing = dir.resolve("missing.json");
        assertFailed(
                "FAILED: record: cannot read \"" + missing + "\" (no such file)\n", "--record", missing.toString());
        assertFailed(
                "FAILED: commit: cannot read \"" + missing + "\" (no such file)\n",
                "--record",
                record.toString(),
                "--commit",
                missing.toString());
    }

    @Test
    void aDeviceOrPipeIsReadWithinTheSameBound() {
        assertFailed("FAILED: record: cannot read \"/dev/zero\" (larger than 65536 bytes)\n", "--record", "/dev/zero");
    }

    /** A server's words reach the terminal escaped: it cannot move the cursor or retitle the window. */
    @Test
    void whatAServerSendsCannotReachTheTerminalRaw() throws Exception {
        try (java.net.ServerSocket server =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket socket = server.accept()) {
                    socket.getInputStream().read(new byte[4096]);
                    socket.getOutputStream()
                            .write("HTTP/1.1 \u001b]0;PWNED\u0007\u001b[2J\r\n\r\n"
                                    .getBytes(StandardCharsets.ISO_8859_1));
                } catch (IOException e) {
                    // the client went away
                }
            });
            out.getBuffer().setLength(0);

            assertThat(run("verify", "--record", "http://127.0.0.1:" + server.getLocalPort() + "/record"))
                    .isEqualTo(1);
            assertThat(out.toString()).startsWith("FAILED: record: cannot read").doesNotContain("\u001b", "\u0007");
        }
    }

    /** The operator names the room: whatever it holds, it cannot forge a line of the output. */
    @Test
    void aRoomCannotForgeALineOfTheOutput() throws IOException {
        String forged = "Spring drop\npositions: ok (5 tickets)\nposition: 1\n\u001b[2K\u2028\u0085";
        Commitment own = DRAW.commit(forged, List.of(ticket), 1_767_225_600L, null);
        write("record.json", DRAW.draw(own, null, 1_767_225_660L).record().file());
        write("proof.json", own.tree().inclusionProof(ticket).orElseThrow().file());

        assertThat(run("verify", "--record", record.toString(), "--ticket", ticket, "--proof", proof.toString()))
                .isZero();
        assertThat(out.toString())
                .startsWith("record: ok (room \"Spring drop\\u000apositions: ok (5 tickets)\\u000aposition: 1"
                        + "\\u000a\\u001b[2K\\u2028\\u0085\", 1 tickets")
                .doesNotContain("\nposition")
                .doesNotContain("\u001b");
    }

    private void assertFailed(String output, String... verifyArgs) {
        out.getBuffer().setLength(0);
        String[] args = new String[verifyArgs.length + 1];
        args[0] = "verify";
        System.arraycopy(verifyArgs, 0, args, 1, verifyArgs.length);
        assertThat(run(args)).as(String.join(" ", args)).isEqualTo(1);
        assertThat(out.toString()).isEqualTo(output);
    }

    @Test
    void readsUrlsWithinBounds() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        Map<String, byte[]> files = Map.of(
                "/record",
                drawn.record().file(),
                "/tickets",
                commitment.tree().ticketListFile(),
                "/big",
                new byte[70_000]);
        server.createContext("/", exchange -> {
            byte[] body = files.get(exchange.getRequestURI().getPath());
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertThat(run("verify", "--record", base + "/record", "--tickets", base + "/tickets"))
                    .isZero();
            assertThat(out.toString()).contains("positions: ok (10 tickets)");
            assertFailed(
                    "FAILED: record: cannot read \"" + base + "/missing\" (answered 404)\n",
                    "--record",
                    base + "/missing");
            assertFailed(
                    "FAILED: record: cannot read \"" + base + "/big\" (larger than 65536 bytes)\n",
                    "--record",
                    base + "/big");
        } finally {
            server.stop(0);
        }
    }

    /** The files a gateway's drawn queue serves, checked by the command from their URLs. */
    @Test
    void checksTheDrawAGatewayServes() throws Exception {
        String yaml = "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nupstream: http://127.0.0.1:9\n"
                + "queue: {type: ecvrf, room: \"Spring drop\"}\n";
        try (Gateway gateway = Gateway.start(GatewayConfig.parse(yaml), java.util.Optional.empty());
                HttpClient client = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + gateway.port() + "/__gatehouse__/";
            List<String> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                String body = client.send(
                                HttpRequest.newBuilder(URI.create(base + "enqueue"))
                                        .POST(HttpRequest.BodyPublishers.noBody())
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body();
                ids.add(body.replaceAll(".*\"ticket_id\":\"([0-9a-f]+)\".*\\s*", "$1"));
            }
            HttpResponse<String> opened = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.adminPort() + "/queue/open"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
            String mine = ids.get(2);
            String status = client.send(
                            HttpRequest.newBuilder(URI.create(base + "status?ticket=" + mine))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            String position = status.replaceAll(".*\"position\":(\\d+).*\\s*", "$1");

            int exit = run(
                    "verify",
                    "--record",
                    base + "draw/record",
                    "--commit",
                    base + "draw/commit",
                    "--ticket",
                    mine,
                    "--proof",
                    base + "draw/proof?ticket=" + mine,
                    "--tickets",
                    base + "draw/tickets");

            assertThat(exit).as(out + "" + err).isZero();
            assertThat(out.toString())
                    .contains("record: ok (room \"Spring drop\", 5 tickets")
                    .contains("ticket " + mine + ": included")
                    .endsWith("position: " + position + "\n");
        }
    }

    private void assertUsage(String message, String... args) {
        err.getBuffer().setLength(0);
        assertThat(run(args)).as(String.join(" ", args)).isEqualTo(2);
        assertThat(err.toString()).contains(message);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private int run(String... args) {
        return Cli.run(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
    }
}
