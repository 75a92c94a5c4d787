package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.http.HttpLimits;
import dev.gatehouse.server.TestServer;
import dev.gatehouse.testing.Await;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful shutdown answers waiting calls, shows itself on /readyz, and ends within its bound. */
class ShutdownTest {

    @Test
    void close_answersWaitersWith503_andEndsWithinTheBound() throws Exception {
        TestServer server = TestServer.start(Map.of(
                RateSettings.MAX_REQUESTS, "1",
                RateSettings.WINDOW_MILLIS, "60000",
                HttpLimits.SHUTDOWN_TIMEOUT_MILLIS, "2000"));
        server.get("/rate/k");
        CompletableFuture<HttpResponse<String>> waiting = server.getAsync("/rate/k?canWait=true");
        Await.until(
                Duration.ofSeconds(5),
                () -> server.server().ready() && server.get("/debug/k").body().contains("\"NumWaiting\":1"));

        CompletableFuture.runAsync(server::close).get(10, TimeUnit.SECONDS); // bounded by the shutdown timeout

        assertThat(waiting.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        assertThat(server.server().ready()).isFalse();
    }

    @Test
    void close_duringTheDelayAndTheDrain_readyzAnswers503WhileTheRateApiStillServes() throws Exception {
        TestServer server = TestServer.start(Map.of(
                HttpLimits.SHUTDOWN_TIMEOUT_MILLIS, "3000",
                HttpLimits.SHUTDOWN_DELAY_MILLIS, "2000"));
        URI rate = server.rate("/");
        try (Socket unfinished = new Socket(rate.getHost(), rate.getPort())) {
            // a request still arriving: the rate listener drains it before it stops
            unfinished
                    .getOutputStream()
                    .write("GET /rate/k HTTP/1.1\r\nHost: t\r\n".getBytes(StandardCharsets.US_ASCII));
            unfinished.getOutputStream().flush();
            Await.until(Duration.ofSeconds(5), () -> server.server().ready());

            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            Await.until(Duration.ofSeconds(5), () -> readyzStatus(server) == 503);
            assertThat(server.get("/rate/during-the-delay").statusCode()).isEqualTo(200);

            closing.get(10, TimeUnit.SECONDS);
        }
    }

    private static int readyzStatus(TestServer server) {
        try (HttpClient client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return client.send(
                            HttpRequest.newBuilder(server.admin("/readyz"))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1; // not answering (yet, or any more)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
