package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.KeyRule;
import dev.gatehouse.rate.KeyRules;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RatePolicy;
import dev.gatehouse.server.TestServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits the limiters cannot keep are refused where they are set: at load for rules, 400 for overrides. */
class UnkeepableLimitsTest {

    private static final RateLimits DEFAULTS = RateLimits.of(100, 400, 1000, Algorithm.FIXED_WINDOW);

    @TempDir
    Path dir;

    @Test
    void policy_tokenBucketRuleFasterThanOnePermitPerNanosecond_isRefusedNamingTheRule() {
        List<KeyRule> rules = KeyRules.parse("""
                {"keys": [
                  {"key_pattern": "ok", "algorithm": "token_bucket"},
                  {"key_pattern": "fast", "algorithm": "token_bucket", "window_millis": 1,
                   "max_requests_per_window": 2000000}
                ]}""");

        assertThatThrownBy(() -> new RatePolicy(DEFAULTS, rules))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keys[1] (fast)")
                .hasMessageContaining("at most one permit per nanosecond");
    }

    @Test
    void policy_rulesThatOnlyFailTogether_areRefusedToo() {
        List<KeyRule> rules = KeyRules.parse("""
                {"keys": [
                  {"key_pattern": "^a", "key_pattern_is_regex": true, "algorithm": "token_bucket",
                   "window_millis": 1},
                  {"key_pattern": "^ab", "key_pattern_is_regex": true, "max_requests_per_window": 2000000}
                ]}""");

        assertThatThrownBy(() -> new RatePolicy(DEFAULTS, rules)).hasMessageContaining("keys[1]");
    }

    @Test
    void server_overrideTheLimiterCannotKeep_is400NamingTheBound() throws Exception {
        Path file = dir.resolve("keys.json");
        Files.writeString(file, """
                {"keys": [{"key_pattern": "^tb-", "key_pattern_is_regex": true, "algorithm": "token_bucket",
                           "window_millis": 1}]}""");
        try (TestServer server = TestServer.start(Map.of(RateSettings.CONFIG_FILE, file.toString()))) {
            HttpResponse<String> refused = server.get("/rate/tb-a?maxRequests=2000000");
            HttpResponse<String> json = server.get("/rate/tb-a?maxRequests=2000000", "Accept", "application/json");
            HttpResponse<String> fine = server.get("/rate/tb-a?maxRequests=5");

            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(refused.body())
                    .startsWith("maxRequests out of bounds for token_bucket over 1 ms")
                    .contains("at most one permit per nanosecond");
            assertThat(json.statusCode()).isEqualTo(400);
            assertThat(json.body()).contains("\"reason\"");
            assertThat(fine.statusCode()).isEqualTo(200);
        }
    }
}
