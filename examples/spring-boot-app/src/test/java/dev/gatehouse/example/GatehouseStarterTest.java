package dev.gatehouse.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.breaker.CircuitBreakerSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.proof.pow.Challenge;
import dev.gatehouse.proof.pow.PowAlgorithm;
import dev.gatehouse.proof.pow.PowSolver;
import dev.gatehouse.testing.ManualClock;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The starter in the example shop, configured by its application.yml, over real HTTP: allowed and
 * refused requests with their headers, clients told apart by the configured keys, the breaker opened
 * by the application's failures and closed after its cooldown, the proof of work on the sign-up, the
 * verdicts in the application's metrics and the gate in its health.
 */
class GatehouseStarterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theApiIsLimitedPerClientWithTheServiceHeaders() throws Exception {
        try (RunningShop shop = RunningShop.inMemory(ManualTime.class)) {
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> allowed = shop.get("/api/items", "X-Forwarded-For", "203.0.113.7");
                assertThat(allowed.statusCode()).isEqualTo(200);
                assertThat(allowed.body()).contains("ticket");
                assertThat(allowed.headers().firstValue("RateLimit-Policy")).hasValue("\"api\";q=5;w=60");
                assertThat(allowed.headers().firstValue("RateLimit"))
                        .hasValue("\"api\";r=" + (4 - i) + ";t=" + 12 * (i + 1)); // a permit back every 12 s
            }
            HttpResponse<String> refused = shop.get("/api/items", "X-Forwarded-For", "203.0.113.7");
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.body()).isEqualTo("rate limit exceeded\n");
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("12");
            assertThat(refused.headers().firstValue("RateLimit")).hasValue("\"api\";r=0;t=60");
            ManualTime.CLOCK.advance(Duration.ofSeconds(12));
            assertThat(shop.get("/api/items", "X-Forwarded-For", "203.0.113.7").statusCode())
                    .isEqualTo(200);

            // another client (the proxy's own entry is the right-most), and the same one however the left is forged
            assertThat(shop.get("/api/items", "X-Forwarded-For", "198.51.100.1").statusCode())
                    .isEqualTo(200);
            assertThat(shop.get("/api/items", "X-Forwarded-For", "10.9.9.9, 203.0.113.7")
                            .statusCode())
                    .isEqualTo(429);
            // paths under no limit pass, with no limit headers
            HttpResponse<String> free = shop.get("/inventory", "X-Forwarded-For", "203.0.113.7");
            assertThat(free.statusCode()).isEqualTo(200);
            assertThat(free.headers().firstValue("RateLimit")).isEmpty();
        }
    }

    @Test
    void theLoginIsLimitedPerUserNameWhateverTheAddress() throws Exception {
        try (RunningShop shop = RunningShop.inMemory()) {
            assertThat(shop.post("/api/login", "X-User", "ann", "X-Forwarded-For", "192.0.2.1")
                            .statusCode())
                    .isEqualTo(200);
            assertThat(shop.post("/api/login", "X-User", "ann", "X-Forwarded-For", "192.0.2.2")
                            .statusCode())
                    .isEqualTo(200);
            HttpResponse<String> third = shop.post("/api/login", "X-User", "ann", "X-Forwarded-For", "192.0.2.3");
            assertThat(third.statusCode()).isEqualTo(429);
            assertThat(third.headers().firstValue("RateLimit-Policy")).hasValue("\"login\";q=2;w=60");
            assertThat(shop.post("/api/login", "X-User", "bob", "X-Forwarded-For", "192.0.2.3")
                            .statusCode())
                    .isEqualTo(200);
        }
    }

    /** A clock the test moves: the starter takes a {@link NanoClock} bean for its limits and breaker. */
    @Configuration(proxyBeanMethods = false)
    static class ManualTime {
        static final ManualClock CLOCK = new ManualClock();

        @Bean("gatehouseClock")
        NanoClock clock() {
            return CLOCK;
        }

        /** The application's own breaker (its payment client's, say): Gatehouse leaves it alone. */
        @Bean
        CircuitBreaker paymentsBreaker() {
            CircuitBreaker payments =
                    CircuitBreaker.create(CircuitBreakerSpec.builder().build());
            payments.forceOpen();
            return payments;
        }
    }

    @Test
    void theBreakerOpensOnFailedAnswersAndExceptionsAndClosesAfterItsCooldown() throws Exception {
        try (RunningShop shop = RunningShop.inMemory(ManualTime.class)) {
            for (int i = 0; i < 10; i++) { // a client asking for the error page: Spring answers 500
                assertThat(shop.get("/error").statusCode()).isEqualTo(500);
            }
            assertThat(shop.get("/api/items").statusCode())
                    .as("no other path feeds the breaker")
                    .isEqualTo(200);
            assertThat(shop.get("/inventory").statusCode()).isEqualTo(200);
            assertThat(shop.get("/inventory").statusCode()).isEqualTo(200);
            assertThat(shop.get("/inventory?state=down").statusCode()).isEqualTo(502);
            assertThat(shop.get("/inventory?state=broken").statusCode()).isEqualTo(500); // 2 of 4 failed: it trips

            HttpResponse<String> open = shop.get("/inventory");
            assertThat(open.statusCode()).isEqualTo(503);
            assertThat(open.body()).isEqualTo("service temporarily unavailable\n");
            assertThat(open.headers().firstValue("Retry-After")).hasValue("30");
            assertThat(shop.get("/inventory?state=ok").statusCode()).isEqualTo(503);
            assertThat(shop.get("/api/items").statusCode())
                    .as("the breaker guards the inventory only")
                    .isEqualTo(200);
            assertThat(shop.get("/actuator/health/gatehouse").statusCode())
                    .as("but the actuator: never judged")
                    .isEqualTo(200);

            ManualTime.CLOCK.advance(Duration.ofSeconds(30));
            assertThat(shop.get("/inventory").statusCode()).isEqualTo(200); // the probe
            assertThat(shop.get("/inventory").statusCode()).isEqualTo(200);
            assertThat(shop.bean("gatehouseBreaker", CircuitBreaker.class).state())
                    .isEqualTo(CircuitBreaker.State.CLOSED);
        }
    }

    @Test
    void theSignUpAsksForAProofOfWorkSpentOnce() throws Exception {
        try (RunningShop shop = RunningShop.inMemory()) {
            HttpResponse<String> asked = shop.post("/signup");
            assertThat(asked.statusCode()).isEqualTo(428);
            JsonNode challenge = JSON.readTree(asked.body()).get("challenge");
            assertThat(challenge.get("difficulty").asInt()).isEqualTo(8);
            assertThat(challenge.get("algorithm").asText()).isEqualTo("sha256");

            String nonce = solve(challenge);
            String id = challenge.get("id").asText();
            HttpResponse<String> solved =
                    shop.post("/signup", "X-Gatehouse-Pow-Id", id, "X-Gatehouse-Pow-Nonce", nonce);
            assertThat(solved.statusCode()).isEqualTo(200);
            assertThat(solved.body()).contains("welcome");

            HttpResponse<String> replayed =
                    shop.post("/signup", "X-Gatehouse-Pow-Id", id, "X-Gatehouse-Pow-Nonce", nonce);
            assertThat(replayed.statusCode()).isEqualTo(428);
            assertThat(JSON.readTree(replayed.body()).get("detail").asText()).contains("(replayed)");
            HttpResponse<String> forged =
                    shop.post("/signup", "X-Gatehouse-Pow-Id", id + "x", "X-Gatehouse-Pow-Nonce", "zz");
            assertThat(forged.statusCode()).isEqualTo(428);
            // other paths ask for nothing, nor does a CORS preflight
            assertThat(shop.get("/inventory").statusCode()).isEqualTo(200);
            assertThat(shop.options("/signup").statusCode()).isNotEqualTo(428);
        }
    }

    /** What a hostile client sends the gate and the proof of work is answered 4xx, never 5xx. */
    @Test
    void hostileInputIsAnswered4xx() throws Exception {
        try (RunningShop shop = RunningShop.inMemory()) {
            String longId = "a".repeat(6_000);
            for (String[] proof : List.of(
                    new String[] {longId, "00"},
                    new String[] {"x", "a".repeat(6_000)},
                    new String[] {"..", "not hex"},
                    new String[] {"%00", "%zz"},
                    new String[] {"", ""})) {
                HttpResponse<String> answer =
                        shop.post("/signup", "X-Gatehouse-Pow-Id", proof[0], "X-Gatehouse-Pow-Nonce", proof[1]);
                assertThat(answer.statusCode()).as(proof[0] + " / " + proof[1]).isEqualTo(428);
                assertThat(JSON.readTree(answer.body()).has("challenge")).isTrue();
            }
            // keys no client should be able to grow or break: a long forwarded chain, a long user name
            String chain = String.join(", ", java.util.Collections.nCopies(400, "198.51.100.1"));
            assertThat(shop.get("/api/items", "X-Forwarded-For", chain).statusCode())
                    .isEqualTo(200);
            assertThat(shop.get("/api/items", "X-Forwarded-For", "not an address, also not")
                            .statusCode())
                    .isEqualTo(200);
            assertThat(shop.post("/api/login", "X-User", "u".repeat(6_000)).statusCode())
                    .isEqualTo(200);
            assertThat(shop.post("/api/login").statusCode())
                    .as("no user name: the address is the key, the application answers the missing header")
                    .isEqualTo(400);
        }
    }

    @Test
    void theVerdictsAreInTheApplicationsMetricsAndTheGateInItsHealth() throws Exception {
        // Spring Data Redis is on the tests' class path, but no spring.data.redis address is set: memory
        // (gatehouse.redis.url blank: CI's GATEHOUSE_REDIS_URL would set it, as environment variables do)
        try (RunningShop shop =
                RunningShop.start(List.of("management.health.redis.enabled=false", "gatehouse.redis.url="))) {
            for (int i = 0; i < 6; i++) {
                shop.get("/api/items", "X-Forwarded-For", "203.0.113.9");
            }
            shop.post("/signup");
            assertThat(count(shop, "gatehouse.requests?tag=policy:api&tag=outcome:admitted"))
                    .isEqualTo(5);
            assertThat(count(shop, "gatehouse.requests?tag=policy:api&tag=outcome:rate_limited"))
                    .isEqualTo(1);
            assertThat(count(shop, "gatehouse.challenge.issued")).isEqualTo(1);
            assertThat(count(shop, "gatehouse.breaker.state")).isEqualTo(0);

            JsonNode health =
                    JSON.readTree(shop.get("/actuator/health/gatehouse").body());
            assertThat(health.get("status").asText()).isEqualTo("UP");
            assertThat(health.at("/details/store").asText()).isEqualTo("memory");
            assertThat(health.at("/details/breaker").asText()).isEqualTo("CLOSED");
        }
    }

    @Test
    void aBadSettingStopsTheStartNamingIt() {
        assertThatThrownBy(() -> RunningShop.start(
                        List.of("gatehouse.redis.enabled=false", "gatehouse.limits[0].path=/api/*/items")))
                .rootCause()
                .hasMessageContaining("gatehouse.limits[0].path: \"/api/*/items\"");
        assertThatThrownBy(() -> RunningShop.start(List.of(
                        "gatehouse.redis.enabled=false",
                        "gatehouse.limits[0].path=/api/",
                        "gatehouse.limits[0].limit=5",
                        "gatehouse.limits[0].key.source=header")))
                .rootCause()
                .hasMessageContaining("gatehouse.limits[0].key.name: missing");
        assertThatThrownBy(() -> RunningShop.start(
                        List.of("gatehouse.redis.enabled=false", "gatehouse.proof-of-work.secret=short")))
                .rootCause()
                .hasMessageContaining("gatehouse.proof-of-work.secret: 5 bytes");
    }

    private static double count(RunningShop shop, String metric) throws Exception {
        HttpResponse<String> answer = shop.get("/actuator/metrics/" + metric);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body()).at("/measurements/0/value").asDouble();
    }

    /** What a client does: solves the challenge as the wire carries it. */
    static String solve(JsonNode challenge) {
        Challenge wire = new Challenge(
                challenge.get("id").asText(),
                HexFormat.of().parseHex(challenge.get("payload").asText()),
                challenge.get("difficulty").asInt(),
                challenge.get("expires_at").asLong() * 1000,
                new PowAlgorithm.Sha256());
        return HexFormat.of().formatHex(PowSolver.solve(wire, 1L << 20).orElseThrow());
    }
}
