package dev.gatehouse.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.http.HttpLimits;
import dev.gatehouse.http.settings.Setting;
import dev.gatehouse.testing.Stages;
import dev.gatehouse.testing.http.CapturedLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A client that pipelines requests and reads no answer: once its answers fill the send buffer,
 * every request it sends more would wait in the server, parsed, for an answer it never takes (a
 * few hundred such connections held gigabytes). The connection is closed as soon as a bounded
 * number of them wait, long before the write timeout (a minute here).
 */
final class PipeliningFloodTest {

    @Test
    void aClientThatPipelinesAndReadsNoAnswer_isClosedLongBeforeTheWriteTimeout() throws IOException {
        Map<Setting<?>, String> settings = new HashMap<>();
        settings.put(HttpLimits.WRITE_TIMEOUT_MILLIS, "60000");
        try (CapturedLog log = CapturedLog.start();
                TestServer server = TestServer.start(settings);
                SocketChannel client = SocketChannel.open();
                Selector selector = Selector.open()) {
            client.setOption(StandardSocketOptions.SO_RCVBUF, 4096); // reads nothing, holds little
            client.connect(new InetSocketAddress("127.0.0.1", server.server().ratePort()));
            client.configureBlocking(false);
            client.register(selector, SelectionKey.OP_WRITE);
            ByteBuffer requests = ByteBuffer.wrap(
                    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII));
            long sent = 0;
            boolean closed = false;
            long deadline = System.nanoTime() + Stages.PATIENCE.toNanos();
            while (!closed && System.nanoTime() - deadline < 0) {
                try {
                    if (!requests.hasRemaining()) {
                        requests.rewind();
                    }
                    int written = client.write(requests);
                    sent += written;
                    if (written == 0) {
                        selector.select(100); // the server reads no more for now
                        selector.selectedKeys().clear();
                    }
                } catch (IOException e) { // reset: the server closed it with requests unread
                    closed = true;
                }
            }

            assertThat(closed)
                    .as("closed by the server after %d bytes of requests", sent)
                    .isTrue();
            assertThat(server.get("/healthz").statusCode()).isEqualTo(200);
            log.assertNoErrorOrStackTrace();
        }
    }
}
