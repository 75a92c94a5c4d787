package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.server.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ten thousand calls waiting on one key, over h2c, all admitted in order of the windows. */
class ManyWaitersTest {

    private static final int CALLS = 10_000;

    @Test
    void tenThousandWaitingCallsOnOneKey_allComplete() throws Exception {
        try (TestServer server = TestServer.start(Map.of(
                RateSettings.MAX_REQUESTS, "2000",
                RateSettings.MAX_REQUESTS_IN_QUEUE, Integer.toString(CALLS),
                RateSettings.WINDOW_MILLIS, "100"))) {
            Vertx vertx = Vertx.vertx();
            try {
                HttpClient client = vertx.createHttpClient(
                        new HttpClientOptions()
                                .setProtocolVersion(HttpVersion.HTTP_2)
                                .setHttp2ClearTextUpgrade(false)
                                .setDefaultHost("127.0.0.1")
                                .setDefaultPort(server.server().ratePort()),
                        new PoolOptions().setHttp2MaxSize(20));
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                    answers.add(client.request(HttpMethod.GET, "/rate/crowd?canWait=true")
                            .compose(request -> request.send())
                            .compose(response -> response.statusCode() == 200
                                    ? response.body().map(Object::toString)
                                    : Future.failedFuture("status " + response.statusCode())));
                }

                Future.all(answers).await(60, TimeUnit.SECONDS);

                Set<String> ids = new HashSet<>();
                answers.forEach(answer -> ids.add(answer.result()));
                assertThat(ids).hasSize(CALLS);
                assertThat(server.server().ready()).isTrue();
            } finally {
                vertx.close().await(10, TimeUnit.SECONDS);
            }
        }
    }
}
