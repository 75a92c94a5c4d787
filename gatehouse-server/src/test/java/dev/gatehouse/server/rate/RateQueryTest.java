package dev.gatehouse.server.rate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.http.PercentDecoding;
import dev.gatehouse.rate.ClientPermissions;
import dev.gatehouse.rate.RateRequest;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** gocc's validation of {@code /rate/{key}}, word for word and in its order. */
class RateQueryTest {

    private static final ClientPermissions ALL = new ClientPermissions(true, true, 16);
    private static final ClientPermissions NONE = new ClientPermissions(false, false, 16);

    private static RateQuery parse(String key, String rawQuery, ClientPermissions permissions) {
        return RateQuery.parse(key, PercentDecoding.query(rawQuery), permissions);
    }

    @Test
    void parse_validCall_givesTheRequest() {
        assertThat(parse("k", "canWait=true&maxRequests=5&maxRequestsInQueue=0", ALL))
                .isEqualTo(new RateQuery.Valid(new RateRequest("k", true, OptionalInt.of(5), OptionalInt.of(0))));
    }

    @Test
    void parse_emptyParameters_countAsAbsent() {
        assertThat(parse("k", "canWait=&maxRequests=%20", NONE))
                .isEqualTo(new RateQuery.Valid(new RateRequest("k", false, OptionalInt.empty(), OptionalInt.empty())));
    }

    @Test
    void parse_keyAndValues_areTrimmedAsGoTrimsThem() {
        assertThat(parse(" \tk\u00a0", "maxRequests=%20%205&canWait=+true", ALL))
                .isEqualTo(new RateQuery.Valid(new RateRequest("k", true, OptionalInt.of(5), OptionalInt.empty())));
    }

    @Test
    void parse_noChangeSentinel_meansNoOverride() {
        assertThat(parse("k", "maxRequests=-1000000000&maxRequestsInQueue=-1000000000", NONE))
                .isEqualTo(new RateQuery.Valid(new RateRequest("k", false, OptionalInt.empty(), OptionalInt.empty())));
    }

    @Test
    void parse_parameterNames_areCaseSensitive() {
        assertThat(parse("k", "maxrequests=abc&CANWAIT=maybe", ALL))
                .isEqualTo(new RateQuery.Valid(new RateRequest("k", false, OptionalInt.empty(), OptionalInt.empty())));
    }

    @ParameterizedTest(name = "{0} ?{1} -> {2} {3}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            ''                 | canWait=maybe&maxRequests=x                 | 400 | empty key provided
            '   '              | -                                           | 400 | empty key provided
            abcdefghijklmnopq  | -                                           | 400 | 'key too long: 17 bytes (expected: <= 16)'
            k                  | canWait=maybe&maxRequests=x                 | 400 | failed to parse canWait query parameter
            k                  | canWait=%zz                                 | 400 | failed to parse canWait query parameter
            k                  | canWait=T&maxRequests=x&maxRequestsInQueue=y | 400 | failed to parse maxRequests query parameter
            k                  | maxRequests=%zz                             | 400 | failed to parse maxRequests query parameter
            k                  | maxRequests=%e9                             | 400 | failed to parse maxRequests query parameter
            k                  | maxRequests=2147483648                      | 400 | failed to parse maxRequests query parameter
            k                  | maxRequests=5_0                             | 400 | failed to parse maxRequests query parameter
            k                  | maxRequests=%D9%A1                          | 400 | failed to parse maxRequests query parameter
            k                  | maxRequests=1&maxRequestsInQueue=y          | 400 | failed to parse maxRequestsInQueue query parameter
            k                  | maxRequests=0&maxRequestsInQueue=-1         | 400 | maxRequests out of bounds
            k                  | maxRequests=5&maxRequestsInQueue=-1         | 400 | maxRequestsInQueue out of bounds
            k                  | maxRequests=1000000001                      | 400 | maxRequests out of bounds
            k                  | maxRequests=+5&maxRequestsInQueue=1000000001 | 400 | maxRequestsInQueue out of bounds
            """)
    void parse_invalidCall_isRejectedInGoccOrderAndWords(String key, String query, int status, String message) {
        assertThat(parse(key, query, ALL)).isEqualTo(new RateQuery.Rejection(status, message));
    }

    @Test
    void parse_leadingZeros_areTakenAsGoTakesThem() {
        assertThat(parse("k", "maxRequests=00000000000000000001&maxRequestsInQueue=-000000000000", ALL))
                .isEqualTo(new RateQuery.Valid(new RateRequest("k", false, OptionalInt.of(1), OptionalInt.of(0))));
        assertThat(parse("k", "maxRequests=000000000002147483648", ALL))
                .isEqualTo(new RateQuery.Rejection(400, "failed to parse maxRequests query parameter"));
    }

    @Test
    void parse_undecodableKey_isRefusedNamingIt() {
        assertThat(parse(null, "", ALL))
                .isEqualTo(new RateQuery.Rejection(400, "malformed key: a bad percent-escape or not UTF-8"));
    }

    @Test
    void parse_overrideWhileDisallowed_isForbiddenBeforeBoundsAreChecked() {
        assertThat(parse("k", "maxRequests=0", NONE))
                .isEqualTo(new RateQuery.Rejection(403, "maxRequests query parameter is disabled"));
        assertThat(parse("k", "maxRequestsInQueue=-5", NONE))
                .isEqualTo(new RateQuery.Rejection(403, "maxRequestsInQueue query parameter is disabled"));
    }

    @Test
    void parse_maxRequestsPermission_isCheckedBeforeTheQueueParameterIsParsed() {
        assertThat(parse("k", "maxRequests=5&maxRequestsInQueue=abc", NONE))
                .isEqualTo(new RateQuery.Rejection(403, "maxRequests query parameter is disabled"));
    }

    @Test
    void parse_overrideSyntax_isCheckedBeforePermission() {
        assertThat(parse("k", "maxRequests=ten", NONE))
                .isEqualTo(new RateQuery.Rejection(400, "failed to parse maxRequests query parameter"));
    }
}
