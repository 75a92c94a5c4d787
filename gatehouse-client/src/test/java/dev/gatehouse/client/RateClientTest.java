package dev.gatehouse.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.gatehouse.client.GatehouseClientException.Kind;
import dev.gatehouse.client.RateClient.Decision;
import dev.gatehouse.client.RateClient.Limit;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RateClient} against a fake rate service: gocc's wire, Gatehouse's headers, and wrong answers. */
@Timeout(20)
class RateClientTest {

    private final FakeServer rate = new FakeServer();
    private final CountDownLatch end = new CountDownLatch(1);
    private final RateClient client = RateClient.builder(rate.url())
            .requestTimeout(Duration.ofMillis(500))
            .maxAnswerBytes(256)
            .build();

    @AfterEach
    void stop() {
        end.countDown();
        client.close();
        rate.close();
    }

    @Test
    void anAllowedCall_hasItsRequestIdAndTheLimitsState() {
        rate.answer(
                "/rate/user-42",
                200,
                "text/plain; charset=UTF-8",
                "17",
                "RateLimit",
                "\"fixed_window\";r=99;t=1",
                "RateLimit-Policy",
                "\"fixed_window\";q=100;w=1");

        Decision decision = client.decide("user-42");

        assertThat(decision)
                .isEqualTo(new Decision(
                        true,
                        OptionalLong.of(17),
                        Optional.of(new Limit("fixed_window", 100, OptionalLong.of(1), 99, OptionalLong.of(1))),
                        Optional.empty()));
        assertThat(rate.requests().get(0).method()).isEqualTo("GET");
    }

    @Test
    void aRefusedCall_isAnAnswer_withRetryAfter() {
        rate.answer(
                "/rate/user-42",
                429,
                "",
                "",
                "RateLimit",
                "\"fixed_window\";r=0;t=1",
                "RateLimit-Policy",
                "\"fixed_window\";q=2;w=1",
                "Retry-After",
                "1");

        Decision decision = client.decide("user-42");

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.requestId()).isEmpty();
        assertThat(decision.retryAfter()).contains(Duration.ofSeconds(1));
        assertThat(decision.limit()).map(Limit::remaining).contains(0L);
    }

    @Test
    void goccsAnswers_haveNoLimitHeaders() {
        rate.answer("/rate/k", 200, "text/plain; charset=UTF-8", "5");
        assertThat(client.decide("k"))
                .isEqualTo(new Decision(true, OptionalLong.of(5), Optional.empty(), Optional.empty()));
        rate.answer("/rate/k", 429, "", "");
        assertThat(client.decide("k"))
                .isEqualTo(new Decision(false, OptionalLong.empty(), Optional.empty(), Optional.empty()));
    }

    @Test
    void aConcurrencyLimit_hasNoWindowAndNoReset_andUnknownParametersAreSkipped() {
        rate.answer(
                "/rate/k",
                200,
                "text/plain",
                "3",
                "RateLimit",
                "concurrency;r=4;x=\"y\"",
                "RateLimit-Policy",
                "concurrency;q=5;pk=:abc=:");
        assertThat(client.decide("k").limit())
                .contains(new Limit("concurrency", 5, OptionalLong.empty(), 4, OptionalLong.empty()));
    }

    @Test
    void anHttpDateRetryAfter_isTheTimeUntilThen() {
        String inAMinute =
                ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(60).format(DateTimeFormatter.RFC_1123_DATE_TIME);
        rate.answer("/rate/k", 429, "", "", "Retry-After", inAMinute);
        assertThat(client.decide("k").retryAfter())
                .hasValueSatisfying(wait -> assertThat(wait).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(61)));
    }

    @Test
    void theKeyIsOnePercentEncodedSegment() {
        rate.answer("/rate/a%20b%2Fc%C3%BC%2E~_-", 200, "text/plain", "1");
        assertThat(client.decide("a b/cü.~_-").allowed()).isTrue();
        rate.answer("/rate/%2E%2E", 200, "text/plain", "2");
        assertThat(client.decide("..").requestId()).hasValue(2);
        assertThatThrownBy(() -> client.decide(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("key:");
    }

    @Test
    void release_deletesTheRequestId() {
        rate.answer("/rate/k/17", 200, "", "");
        client.release("k", 17);
        assertThat(rate.requests().get(0).method()).isEqualTo("DELETE");
    }

    @Test
    void otherStatuses_areErrorsInGoccsWords() {
        rate.answer("/rate/k", 403, "text/plain; charset=UTF-8", "maxRequests query parameter is disabled");
        ErrorResponseException error = catchThrowableOfType(ErrorResponseException.class, () -> client.decide("k"));
        assertThat(error.status()).isEqualTo(403);
        assertThat(error.detail()).isEqualTo("maxRequests query parameter is disabled");

        rate.answer("/rate/k", 503, "", "", "Retry-After", "2");
        error = catchThrowableOfType(ErrorResponseException.class, () -> client.decide("k"));
        assertThat(error.status()).isEqualTo(503);
        assertThat(error.retryAfter()).contains(Duration.ofSeconds(2));

        rate.answer("/rate/k", 404, "application/json", "{\"message\":\"Not Found\"}");
        assertThat(catchThrowableOfType(ErrorResponseException.class, () -> client.decide("k"))
                        .detail())
                .isEqualTo("Not Found");
    }

    @Test
    void malformedAnswers_areNamed() {
        rate.answer("/rate/k", 200, "text/html", "<html>17</html>");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "text/html");
        rate.answer("/rate/k", 200, "application/json", "17");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "application/json");
        rate.answer("/rate/k", 200, "text/plain", "seventeen");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "seventeen");
        rate.answer("/rate/k", 200, "text/plain", "99999999999999999999999");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "request id");
        rate.answer("/rate/k", 200, "text/plain", "1", "RateLimit", "\"fixed_window\";r=lots");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "header RateLimit: ");
        rate.answer("/rate/k", 200, "text/plain", "1", "RateLimit", "\"a\";r=1", "RateLimit-Policy", "\"b\";q=2");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "header RateLimit-Policy");
        rate.answer("/rate/k", 200, "text/plain", "1", "RateLimit", "\"unterminated;r=1", "RateLimit-Policy", "q=1");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "header RateLimit");
        rate.answer("/rate/k", 429, "", "", "Retry-After", "soon");
        assertKind(() -> client.decide("k"), Kind.MALFORMED_ANSWER, "Retry-After: \"soon\"");
        rate.answer("/rate/k", 200, "text/plain", "1".repeat(300));
        assertKind(() -> client.decide("k"), Kind.ANSWER_TOO_LARGE, "256 bytes");
    }

    @Test
    void aSlowService_timesOut() {
        rate.on("/rate/k", exchange -> end.await());
        assertKind(() -> client.decide("k"), Kind.TIMEOUT, "requestTimeout (PT0.5S)");
    }

    private static void assertKind(Runnable call, Kind kind, String inMessage) {
        GatehouseClientException failure = catchThrowableOfType(GatehouseClientException.class, call::run);
        assertThat(failure).as("a %s failure", kind).isNotNull();
        assertThat(failure.kind()).as(failure.getMessage()).isEqualTo(kind);
        assertThat(failure).hasMessageContaining(inMessage);
    }
}
