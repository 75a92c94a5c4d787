package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.server.TestServer;
import dev.gatehouse.server.config.Setting;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Graceful shutdown answers waiting calls and ends within its bound. */
class ShutdownTest {

    @Test
    void close_answersWaitersWith503_andEndsWithinTheBound() throws Exception {
        TestServer server = TestServer.start(Map.of(
                Setting.MAX_REQUESTS, "1",
                Setting.WINDOW_MILLIS, "60000",
                Setting.SHUTDOWN_TIMEOUT_MILLIS, "2000"));
        server.get("/rate/k");
        CompletableFuture<HttpResponse<String>> waiting = server.getAsync("/rate/k?canWait=true");
        TestServer.await(
                Duration.ofSeconds(5),
                () -> server.server().ready() && server.get("/debug/k").body().contains("\"NumWaiting\":1"));

        long start = System.nanoTime();
        server.close();

        assertThat(waiting.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        assertThat(server.server().ready()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
