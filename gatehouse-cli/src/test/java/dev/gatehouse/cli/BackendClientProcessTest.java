package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.client.ErrorResponseException;
import dev.gatehouse.client.OfflineTokenVerifier;
import dev.gatehouse.client.RateClient;
import dev.gatehouse.client.RoomClient;
import dev.gatehouse.client.TokenCheck;
import dev.gatehouse.waitingroom.Tenant;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The backend SDK against a real {@code gatehouse serve} (a process of its own, set up by flags and
 * environment as an operator would): a room issuing EdDSA tokens admits a user, whose token {@link
 * OfflineTokenVerifier} accepts with the key set fetched from the server, and {@link RoomClient}'s
 * verify and finish and {@link RateClient}'s decisions work on the same port.
 */
@Timeout(120)
class BackendClientProcessTest {

    private static final String KEY = "business-key-e2e";
    private static final String SECRET = "a-test-secret-that-is-long-enough-for-hs256";
    private static final String SIGNING_KEY = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    private static final Duration READY_WITHIN = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aRealRoomsEddsaTokens_checkOffline_andTheBackendVerifiesAndFinishes() throws Exception {
        try (ServeProcess serve = ServeProcess.start(
                        Map.of("BUSINESS_IDS", KEY, "JWT_SECRET", SECRET, "GATEHOUSE_TOKEN_SIGNING_KEY", SIGNING_KEY),
                        "--token-algorithm",
                        "EdDSA",
                        "--max-requests",
                        "1",
                        "--window-millis",
                        "60000");
                HttpClient http = HttpClient.newHttpClient()) {
            URI base = URI.create("http://127.0.0.1:" + serve.port("rate API"));
            String tenant = OfflineTokenVerifier.tenantIdOfBusinessId(KEY);
            assertThat(tenant).isEqualTo(Tenant.ofBusinessId(KEY).id());
            send(
                    http,
                    HttpRequest.newBuilder(base.resolve("/config"))
                            .header("business_id", KEY)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"admission_frequency\": 1}")));
            JsonNode enqueued = send(
                    http,
                    HttpRequest.newBuilder(base.resolve("/queue/enqueue"))
                            .header("business_id", KEY)
                            .header("user_id", "alice")
                            .POST(HttpRequest.BodyPublishers.noBody()));
            String jwt = enqueued.get("jwt").asText();

            try (OfflineTokenVerifier verifier =
                            OfflineTokenVerifier.builder(base, tenant).build();
                    OfflineTokenVerifier otherRoom = OfflineTokenVerifier.builder(base, "key-ffffffffffffffff")
                            .build();
                    RoomClient room = RoomClient.builder(base, KEY).build();
                    RoomClient stranger = RoomClient.builder(base, "not-a-key").build()) {
                TokenCheck check = verifier.verify(jwt);
                assertThat(check).isInstanceOfSatisfying(TokenCheck.Accepted.class, accepted -> {
                    assertThat(accepted.userId()).isEqualTo("alice");
                    assertThat(accepted.expiresAt()).isAfter(Instant.now());
                });
                assertThat(verifier.refreshKeys()).isEqualTo(1);
                assertThat(otherRoom.verify(jwt))
                        .isInstanceOfSatisfying(
                                TokenCheck.Refused.class,
                                refused -> assertThat(refused.reason()).isEqualTo(TokenCheck.Reason.WRONG_TENANT));

                long deadline = System.nanoTime() + READY_WITHIN.toNanos();
                while (!room.verify(jwt).ready()) { // the next admission tick, within a second
                    assertThat(System.nanoTime())
                            .as("alice ready within %s", READY_WITHIN)
                            .isLessThan(deadline);
                    Thread.sleep(100);
                }
                assertThat(room.verify(jwt)).isEqualTo(new RoomClient.Verification(true, "User is ready"));
                String pass = send(
                                http,
                                HttpRequest.newBuilder(base.resolve("/queue/status"))
                                        .header("business_id", KEY)
                                        .header("jwt", jwt))
                        .get("jwt_token")
                        .asText();
                assertThat(verifier.verify(pass))
                        .as("the pass status gives a ready user says so offline")
                        .isInstanceOfSatisfying(TokenCheck.Accepted.class, accepted -> {
                            assertThat(accepted.ready()).isTrue();
                            assertThat(accepted.readyUntil().orElseThrow()).isAfter(Instant.now());
                            assertThat(accepted.expiresAt())
                                    .isBeforeOrEqualTo(accepted.readyUntil().orElseThrow());
                        });
                assertThat(((TokenCheck.Accepted) verifier.verify(jwt)).ready())
                        .as("the token of a queued user is no pass")
                        .isFalse();
                assertThat(room.finish(jwt).status()).isEqualTo(RoomClient.Finish.Status.READY_CLEARED);
                assertThat(room.finish(jwt).status()).isEqualTo(RoomClient.Finish.Status.NOT_READY);
                assertThat(room.verify(jwt).ready()).isFalse();
                assertThat(verifier.verify(jwt).accepted())
                        .as(
                                "the token stays authentic; a finish is the room's to know (the pass expires with the ready time)")
                        .isTrue();

                ErrorResponseException refused =
                        catchThrowableOfType(ErrorResponseException.class, () -> stranger.verify(jwt));
                assertThat(refused.status()).isEqualTo(401);
                assertThat(refused.detail()).isEqualTo("Invalid API key");
                ErrorResponseException forged =
                        catchThrowableOfType(ErrorResponseException.class, () -> room.verify(forgedSignature(jwt)));
                assertThat(forged.detail()).isEqualTo("Invalid queue token");
            }

            try (RateClient rate = RateClient.builder(base).build()) {
                RateClient.Decision first = rate.decide("backend e2e/ü");
                assertThat(first.allowed()).isTrue();
                assertThat(first.requestId()).isPresent();
                assertThat(first.limit()).hasValueSatisfying(limit -> {
                    assertThat(limit.quota()).isEqualTo(1);
                    assertThat(limit.remaining()).isZero();
                    assertThat(limit.windowSeconds()).hasValue(60);
                });
                RateClient.Decision second = rate.decide("backend e2e/ü");
                assertThat(second.allowed()).isFalse();
                assertThat(second.retryAfter())
                        .hasValueSatisfying(
                                wait -> assertThat(wait).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(60)));
                rate.release("backend e2e/ü", first.requestId().getAsLong());
                assertThat(rate.decide("backend e2e/ü").allowed()).isTrue();
            }
        }
    }

    private static JsonNode send(HttpClient http, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        HttpResponse<String> response =
                http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    /**
     * {@code token} with the first character of its signature changed: always other bytes (the last
     * characters may only carry the encoding's spare bits, which a lenient decoder drops).
     */
    private static String forgedSignature(String token) {
        int signature = token.lastIndexOf('.') + 1;
        char first = token.charAt(signature);
        return token.substring(0, signature) + (first == 'A' ? 'B' : 'A') + token.substring(signature + 1);
    }
}
