package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RateQueryTest {

    private static final RateQuery.Permissions ALL = new RateQuery.Permissions(true, true, 16);
    private static final RateQuery.Permissions NONE = new RateQuery.Permissions(false, false, 16);

    @Test
    void parse_validCall_givesTheRequest() {
        RateQuery query = RateQuery.parse(
                "k", Map.of("canWait", "true", "maxRequests", "5", "maxRequestsInQueue", "0")::get, ALL);

        assertThat(query).isEqualTo(new RateQuery.Request("k", true, OptionalInt.of(5), OptionalInt.of(0)));
    }

    @Test
    void parse_emptyParameters_countAsAbsent() {
        RateQuery query = RateQuery.parse("k", Map.of("canWait", "", "maxRequests", "")::get, NONE);

        assertThat(query).isEqualTo(new RateQuery.Request("k", false, OptionalInt.empty(), OptionalInt.empty()));
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} -> {4} {5}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            ''                 | maybe | x    | y    | 400 | empty key provided
            abcdefghijklmnopq  | -     | -    | -    | 400 | 'key too long: 17 bytes (expected: <= 16)'
            k                  | maybe | x    | y    | 400 | 'invalid canWait: "maybe" (expected: true or false)'
            k                  | T     | x    | y    | 400 | 'invalid maxRequests: "x" (expected: a 32-bit integer)'
            k                  | 0     | 2147483648 | 1 | 400 | 'invalid maxRequests: "2147483648" (expected: a 32-bit integer)'
            k                  | 1     | 0    | y    | 400 | 'invalid maxRequestsInQueue: "y" (expected: a 32-bit integer)'
            k                  | -     | 0    | -1   | 400 | 'maxRequests out of bounds: 0 (expected: 1 <= maxRequests <= 1000000000)'
            k                  | -     | 5    | -1   | 400 | 'maxRequestsInQueue out of bounds: -1 (expected: 0 <= maxRequestsInQueue <= 1000000000)'
            k                  | -     | 1000000001 | - | 400 | 'maxRequests out of bounds: 1000000001 (expected: 1 <= maxRequests <= 1000000000)'
            """)
    void parse_invalidCall_isRejectedInGoccOrder(
            String key, String canWait, String maxRequests, String maxInQueue, int status, String message) {
        Map<String, String> params = new java.util.HashMap<>();
        params.put("canWait", canWait);
        params.put("maxRequests", maxRequests);
        params.put("maxRequestsInQueue", maxInQueue);

        assertThat(RateQuery.parse(key, params::get, ALL)).isEqualTo(new RateQuery.Rejection(status, message));
    }

    @Test
    void parse_overrideWhileDisallowed_isForbiddenBeforeBoundsAreChecked() {
        assertThat(RateQuery.parse("k", Map.of("maxRequests", "0")::get, NONE))
                .isEqualTo(new RateQuery.Rejection(403, "maxRequests query parameter is disabled"));
        assertThat(RateQuery.parse("k", Map.of("maxRequestsInQueue", "-5")::get, NONE))
                .isEqualTo(new RateQuery.Rejection(403, "maxRequestsInQueue query parameter is disabled"));
    }

    @Test
    void parse_overrideSyntaxIsCheckedBeforePermission() {
        assertThat(RateQuery.parse("k", Map.of("maxRequests", "ten")::get, NONE))
                .isEqualTo(new RateQuery.Rejection(400, "invalid maxRequests: \"ten\" (expected: a 32-bit integer)"));
    }
}
