package dev.gatehouse.rate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeyRulesTest {

    private static final RateLimits DEFAULTS = RateLimits.of(100, 400, 1000, Algorithm.FIXED_WINDOW);

    @Test
    void policy_appliesEveryMatchingRuleInFileOrder_zeroMeaningUnset() {
        RatePolicy policy = new RatePolicy(DEFAULTS, KeyRules.parse("""
                {"keys": [
                  {"key_pattern": "^user-.*", "key_pattern_is_regex": true,
                   "max_requests_per_window": 100, "max_requests_in_queue": 50, "window_millis": 60000},
                  {"key_pattern": "user-cjk", "key_pattern_is_regex": false, "max_requests_per_window": 1},
                  {"key_pattern": "vip", "algorithm": "token_bucket", "max_requests_per_window": 0}
                ]}"""));

        assertThat(policy.limitsFor("user-cjk")).isEqualTo(RateLimits.of(1, 50, 60000, Algorithm.FIXED_WINDOW));
        assertThat(policy.limitsFor("user-x")).isEqualTo(RateLimits.of(100, 50, 60000, Algorithm.FIXED_WINDOW));
        assertThat(policy.limitsFor("vip")).isEqualTo(RateLimits.of(100, 400, 1000, Algorithm.TOKEN_BUCKET));
        assertThat(policy.limitsFor("guest")).isSameAs(DEFAULTS);
    }

    @Test
    void policy_keysMatchedBySameRules_shareOneLimitsInstance() {
        RatePolicy policy = new RatePolicy(DEFAULTS, KeyRules.parse("""
                {"keys": [{"key_pattern": "^a", "key_pattern_is_regex": true, "max_requests_per_window": 3}]}"""));

        assertThat(policy.limitsFor("a1")).isSameAs(policy.limitsFor("a2"));
    }

    @Test
    void regex_isSearchedInTheKey_literalMustMatchWholly() {
        List<KeyRule> rules = KeyRules.parse("""
                {"keys": [{"key_pattern": "mid", "key_pattern_is_regex": true},
                          {"key_pattern": "exact"}]}""");

        assertThat(rules.get(0).matches("a-mid-b")).isTrue();
        assertThat(rules.get(1).matches("exact")).isTrue();
        assertThat(rules.get(1).matches("exactly")).isFalse();
    }

    @Test
    void parse_emptyObject_hasNoRules() {
        assertThat(KeyRules.parse("{}")).isEmpty();
    }

    @Test
    void parse_badEntries_areNamedByIndexAndField() {
        assertThatThrownBy(() -> KeyRules.parse("""
                {"keys": [{"key_pattern": "a"}, {"key_pattern": "b", "window_millis": -5}]}"""))
                .hasMessage("keys[1].window_millis: -5 (expected: 0 <= window_millis <= 2147483647)");
        assertThatThrownBy(() -> KeyRules.parse("""
                {"keys": [{"key_pattern": "a", "max_request": 5}]}""")).hasMessage("keys[0].max_request: unknown field");
        assertThatThrownBy(() -> KeyRules.parse("""
                {"keys": [{"key_pattern": "(", "key_pattern_is_regex": true}]}"""))
                .hasMessageStartingWith("keys[0].key_pattern: not a valid regular expression");
        assertThatThrownBy(() -> KeyRules.parse("""
                {"keys": [{"key_pattern": "a", "algorithm": "leaky"}]}""")).hasMessageStartingWith("keys[0].algorithm: \"leaky\"");
        assertThatThrownBy(() -> KeyRules.parse("{\"key\": []}")).hasMessage("key: unknown field (expected: keys)");
        assertThatThrownBy(() -> KeyRules.parse("{\"keys\": [")).hasMessageStartingWith("not valid JSON");
    }
}
