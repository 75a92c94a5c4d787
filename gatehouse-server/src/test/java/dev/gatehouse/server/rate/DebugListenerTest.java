package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.server.TestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** rate.debug-listener moves /debug off the public listener. */
class DebugListenerTest {

    @Test
    void debugOnAdmin_answersThereAndNotOnThePublicListener() {
        try (TestServer server = TestServer.start(Map.of(RateSettings.DEBUG_LISTENER, "admin"))) {
            server.get("/rate/k");

            assertThat(server.get("/debug").statusCode()).isEqualTo(404);
            assertThat(server.get("/debug/k").statusCode()).isEqualTo(404);
            assertThat(server.send(TestServer.request("GET", server.admin("/debug")))
                            .body())
                    .contains("\"k\"");
            assertThat(server.send(TestServer.request("GET", server.admin("/debug/k")))
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void debugOff_answersNowhere() {
        try (TestServer server = TestServer.start(Map.of(RateSettings.DEBUG_LISTENER, "off"))) {
            assertThat(server.get("/debug").statusCode()).isEqualTo(404);
            assertThat(server.send(TestServer.request("GET", server.admin("/debug")))
                            .statusCode())
                    .isEqualTo(404);
        }
    }
}
