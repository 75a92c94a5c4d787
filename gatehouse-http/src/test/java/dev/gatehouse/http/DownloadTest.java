package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.Await;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client that stops reading holds a slice of a large file, not a copy of it: the download writes
 * only while the connection takes it, and the whole file still arrives once the client reads.
 */
final class DownloadTest {

    private static final byte[] FILE = new byte[8 * 1024 * 1024];

    static {
        for (int i = 0; i < FILE.length; i++) {
            FILE[i] = (byte) ('a' + i % 26);
        }
    }

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private HttpServer serve(AtomicReference<HttpServerResponse> sending) throws Exception {
        return vertx.createHttpServer()
                .requestHandler(request -> {
                    sending.set(request.response());
                    Download.send(request.response(), request.method().name().equals("HEAD"), "text/plain", FILE);
                })
                .listen(0, "127.0.0.1")
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    @Test
    void aClientThatStopsReadingIsSentNoMoreThanItsConnectionHolds() throws Exception {
        AtomicReference<HttpServerResponse> sending = new AtomicReference<>();
        HttpServer server = serve(sending);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", server.actualPort()));
            OutputStream out = socket.getOutputStream();
            out.write("GET /file HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();

            // the server stops writing once the connection is full, long before the file's end
            Await.until(
                    Duration.ofSeconds(10),
                    () -> sending.get() != null && sending.get().writeQueueFull());
            long written = sending.get().bytesWritten();
            assertThat(written).isLessThan(FILE.length / 2);

            byte[] answer = readAll(socket.getInputStream());
            String text = new String(answer, StandardCharsets.ISO_8859_1);
            int bodyStart = text.indexOf("\r\n\r\n") + 4;
            assertThat(text).startsWith("HTTP/1.1 200").contains("content-length: " + FILE.length);
            assertThat(Arrays.copyOfRange(answer, bodyStart, answer.length)).isEqualTo(FILE);
        }
    }

    @Test
    void headGetsTheLengthAndNoBody() throws Exception {
        HttpServer server = serve(new AtomicReference<>());
        try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
            socket.getOutputStream()
                    .write("HEAD /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

            assertThat(answer)
                    .startsWith("HTTP/1.1 200")
                    .contains("content-length: " + FILE.length)
                    .endsWith("\r\n\r\n");
        }
    }

    /** The answer's head and a body of {@link #FILE}'s length. */
    private static byte[] readAll(InputStream in) throws Exception {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        int headEnd = -1;
        while (headEnd < 0 || answer.size() < headEnd + FILE.length) {
            int read = in.read(chunk);
            if (read < 0) {
                break;
            }
            answer.write(chunk, 0, read);
            if (headEnd < 0) {
                int at = answer.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
                headEnd = at < 0 ? -1 : at + 4;
            }
        }
        return answer.toByteArray();
    }
}
