package dev.gatehouse.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Checks the room's EdDSA queue tokens in the backend's own process, with the room's public keys
 * (its {@code /.well-known/jwks.json}, fetched once, and again when a token names a key it does not
 * know, at most once per {@link Builder#minRefetchInterval}): a token is accepted when its header
 * is {@code alg: EdDSA} with a known {@code kid}, its Ed25519 signature checks, its {@code tid} is
 * the expected room's and it is not past its {@code exp} (with a small leeway). Only {@code EdDSA}
 * is accepted: an HS256 token (whose key is the room's secret) or {@code alg: none} is refused.
 *
 * <p>An accepted token says the room issued it to that user and it has not expired, not that the
 * user is ready now: tokens are issued at enqueue, and the room keeps readiness. Check readiness
 * with {@link RoomClient#verify} where it matters (once per visit, say), and let the offline check
 * guard every request after it.
 *
 * <p>Thread-safe; {@link #verify} blocks only when it fetches the keys (bounded by the timeouts).
 * Tokens already checked are remembered (by their SHA-256) until the keys change, so checking the
 * same token again costs a hash, not an Ed25519 check.
 */
public interface OfflineTokenVerifier extends AutoCloseable {

    /**
     * A verifier of the room at {@code roomUrl} (whose {@code /.well-known/jwks.json} holds its keys)
     * for tokens of the tenant {@code tenantId} (the {@code tid} claim; for a {@code BUSINESS_IDS} key,
     * {@link #tenantIdOfBusinessId}).
     */
    static Builder builder(URI roomUrl, String tenantId) {
        return new Builder(roomUrl, tenantId);
    }

    /**
     * The tenant id the room gives a GatekeeperAPI {@code BUSINESS_IDS} key: {@code key-} and the
     * first 16 hex digits of the SHA-256 of the key's UTF-8 bytes. (Tenants added with {@code
     * gatehouse tenants add} have the id it printed.)
     */
    static String tenantIdOfBusinessId(String apiKey) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(apiKey.getBytes(StandardCharsets.UTF_8));
            return "key-" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Checks {@code jwt}; never throws for what the token holds, nor for a failed key fetch (a refusal says so). */
    TokenCheck verify(String jwt);

    /**
     * Fetches the keys now (or waits for a fetch in progress), whatever the refetch interval: at
     * start, to fail early, or after the room's key is known to have changed. Returns how many usable
     * keys the set holds; throws {@link GatehouseClientException} when they cannot be fetched (the
     * keys fetched before stay in use).
     */
    int refreshKeys();

    /** Closes the HTTP client the builder made (not one given to it). */
    @Override
    void close();

    /** Options of an {@link OfflineTokenVerifier}, each with its default. */
    final class Builder {

        static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(5);
        static final Duration MAX_LEEWAY = Duration.ofMinutes(5);
        static final Duration DEFAULT_MIN_REFETCH_INTERVAL = Duration.ofSeconds(10);
        static final int DEFAULT_MAX_TOKEN_CHARS = 4096;
        static final int DEFAULT_CACHE_SIZE = 4096;

        final String tenantId;
        final HttpOptions http = new HttpOptions();
        URI jwksUrl;
        Duration leeway = DEFAULT_LEEWAY;
        Duration minRefetchInterval = DEFAULT_MIN_REFETCH_INTERVAL;
        InstantSource clock = InstantSource.system();
        int maxTokenChars = DEFAULT_MAX_TOKEN_CHARS;
        int cacheSize = DEFAULT_CACHE_SIZE;

        private Builder(URI roomUrl, String tenantId) {
            this.jwksUrl = URI.create(HttpOptions.base("roomUrl", roomUrl) + "/.well-known/jwks.json");
            Objects.requireNonNull(tenantId, "tenantId");
            if (tenantId.isEmpty()) {
                throw new IllegalArgumentException("tenantId: \"\" (expected: the room's tenant id)");
            }
            this.tenantId = tenantId;
        }

        /** Where the keys are, when not at the room's {@code /.well-known/jwks.json} (behind another path, say). */
        public Builder jwksUrl(URI url) {
            this.jwksUrl = HttpOptions.base("jwksUrl", url);
            return this;
        }

        /**
         * How long past its {@code exp} a token is still accepted (5 s; at most 5 minutes), for clocks
         * that differ a little; {@code nbf}, when a token has one, gets the same leeway.
         */
        public Builder leeway(Duration leeway) {
            Objects.requireNonNull(leeway, "leeway");
            if (leeway.isNegative() || leeway.compareTo(MAX_LEEWAY) > 0) {
                throw new IllegalArgumentException("leeway: " + leeway + " (expected: 0.." + MAX_LEEWAY + ")");
            }
            this.leeway = leeway;
            return this;
        }

        /**
         * The least time between two fetches a token with an unknown {@code kid} can cause (10 s; at
         * least 1 s), so forged kids cannot make the verifier hammer the room. A new key is picked up
         * by the first token that names it after this long.
         */
        public Builder minRefetchInterval(Duration interval) {
            Objects.requireNonNull(interval, "minRefetchInterval");
            if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("minRefetchInterval: " + interval + " (expected: >= PT1S)");
            }
            this.minRefetchInterval = interval;
            return this;
        }

        /** The wall clock expiry is read against, and refetches are spaced by (the system's). */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The longest token looked at, in characters (4096, the room's own bound); a longer one is refused unread. */
        public Builder maxTokenChars(int chars) {
            if (chars < 64 || chars > 65_536) {
                throw new IllegalArgumentException("maxTokenChars: " + chars + " (expected: 64..65536)");
            }
            this.maxTokenChars = chars;
            return this;
        }

        /** How many checked tokens are remembered (4096; 0: none, every check an Ed25519 check). */
        public Builder cacheSize(int tokens) {
            if (tokens < 0 || tokens > 1 << 20) {
                throw new IllegalArgumentException("cacheSize: " + tokens + " (expected: 0..1048576)");
            }
            this.cacheSize = tokens;
            return this;
        }

        /** How long a connection to the room may take to open (2 s); ignored with {@link #httpClient}. */
        public Builder connectTimeout(Duration timeout) {
            http.connectTimeout(timeout);
            return this;
        }

        /** How long fetching the keys may take, from sending to the last byte (5 s). */
        public Builder requestTimeout(Duration timeout) {
            http.requestTimeout(timeout);
            return this;
        }

        /** The longest key set read, in bytes (65,536); a longer one fails the fetch. */
        public Builder maxJwksBytes(int bytes) {
            http.maxAnswerBytes(bytes);
            return this;
        }

        /** An HTTP client to fetch with, instead of one made with {@link #connectTimeout}; its owner closes it. */
        public Builder httpClient(HttpClient client) {
            http.httpClient(client);
            return this;
        }

        public OfflineTokenVerifier build() {
            return new JwksTokenVerifier(this, new HttpCalls(http));
        }
    }
}
