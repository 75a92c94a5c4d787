package dev.gatehouse.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.testing.RequiredServices;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Two instances of the shop on the application's own Redis (Spring Data Redis's {@code
 * spring.data.redis.url}, nothing of Gatehouse's): a client's limit and a spent challenge are shared.
 */
class GatehouseStarterRedisTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The secret both instances share, as every instance of one application must. */
    private static final String SECRET = UUID.randomUUID().toString();

    private static RunningShop onRedis(String keyPrefix) {
        return RunningShop.start(List.of(
                "spring.data.redis.url=" + RequiredServices.redis(),
                "gatehouse.redis.key-prefix=" + keyPrefix,
                "gatehouse.proof-of-work.secret=" + SECRET));
    }

    @Test
    void twoInstancesShareAClientsLimitAndItsSpentChallenges() throws Exception {
        String prefix = "gatehouse-starter-test:" + UUID.randomUUID() + ":";
        try (RunningShop first = onRedis(prefix);
                RunningShop second = onRedis(prefix)) {
            for (int i = 0; i < 5; i++) {
                RunningShop shop = i % 2 == 0 ? first : second;
                assertThat(shop.get("/api/items", "X-Forwarded-For", "203.0.113.50")
                                .statusCode())
                        .isEqualTo(200);
            }
            assertThat(first.get("/api/items", "X-Forwarded-For", "203.0.113.50")
                            .statusCode())
                    .isEqualTo(429);
            assertThat(second.get("/api/items", "X-Forwarded-For", "203.0.113.50")
                            .statusCode())
                    .isEqualTo(429);

            // a challenge issued by one is solved at the other, once (the instances share the secret)
            HttpResponse<String> asked = first.post("/signup");
            var challenge = JSON.readTree(asked.body()).get("challenge");
            String id = challenge.get("id").asText();
            String nonce = GatehouseStarterTest.solve(challenge);
            assertThat(second.post("/signup", "X-Gatehouse-Pow-Id", id, "X-Gatehouse-Pow-Nonce", nonce)
                            .statusCode())
                    .isEqualTo(200);
            assertThat(first.post("/signup", "X-Gatehouse-Pow-Id", id, "X-Gatehouse-Pow-Nonce", nonce)
                            .statusCode())
                    .isEqualTo(428);

            var health = JSON.readTree(first.get("/actuator/health/gatehouse").body());
            assertThat(health.get("status").asText()).isEqualTo("UP");
            assertThat(health.at("/details/store").asText()).isEqualTo("redis");
        }
    }
}
