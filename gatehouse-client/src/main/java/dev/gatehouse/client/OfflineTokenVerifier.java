package dev.gatehouse.client;

import dev.gatehouse.client.GatehouseClientException.Kind;
import dev.gatehouse.client.TokenCheck.Reason;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

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
public final class OfflineTokenVerifier implements AutoCloseable {

    /*
     * Design. The keys are an immutable KeySet in a volatile field: a check reads it once, with no
     * lock. Fetches are single-flight: the last fetch (its start and its future) is one
     * AtomicReference, and the caller that swaps in a new one does the fetch on its own thread
     * (bounded by the timeouts) while concurrent callers wait for that same future; nobody holds a
     * lock across the network. A fetch a token's unknown kid asks for starts only when the last one
     * began at least minRefetchInterval ago, so forged kids cost the room one fetch per interval;
     * refreshKeys() ignores the interval. A failed fetch keeps the keys of the last good one.
     *
     * Checked tokens are remembered in a direct-mapped table (a slot per SHA-256 prefix, the newest
     * token wins it): an entry holds the token's whole digest, its claims and the KeySet its key came
     * from, so a hit needs the same token under the same keys, and expiry is checked again at every
     * hit. The JDK's Ed25519 takes about half a millisecond per check; a hit takes a hash.
     */

    private static final int SIGNATURE_BYTES = 64;
    private static final long MAX_EPOCH_SECONDS = 253_402_300_799L; // 9999-12-31T23:59:59Z
    private static final int MAX_QUOTED_KID_CHARS = 64;
    private static final int MAX_SKIPPED_REASONS = 4;

    private final URI jwksUrl;
    private final String tenantId;
    private final long leewayMillis;
    private final long minRefetchMillis;
    private final long awaitFetchMillis;
    private final InstantSource clock;
    private final int maxTokenChars;
    private final HttpCalls http;
    private final @Nullable AtomicReferenceArray<Remembered> remembered;

    private volatile KeySet keys = KeySet.NONE;
    private volatile @Nullable String lastFailure;
    private final AtomicReference<Fetch> lastFetch = new AtomicReference<>(Fetch.NEVER);
    private final AtomicLong generations = new AtomicLong();

    private OfflineTokenVerifier(OfflineTokenVerifier.Builder builder, HttpCalls http) {
        this.jwksUrl = builder.jwksUrl;
        this.tenantId = builder.tenantId;
        this.leewayMillis = builder.leeway.toMillis();
        this.minRefetchMillis = builder.minRefetchInterval.toMillis();
        this.awaitFetchMillis = builder.http.connectTimeout.toMillis() + builder.http.requestTimeout.toMillis();
        this.clock = builder.clock;
        this.maxTokenChars = builder.maxTokenChars;
        this.http = http;
        this.remembered = builder.cacheSize == 0 ? null : new AtomicReferenceArray<>(builder.cacheSize);
    }

    /**
     * The usable keys of one fetch, by kid, and why the others were skipped; the generation tells
     * sets apart (a fetch that brings the same keys keeps the set, and so the remembered tokens).
     */
    private record KeySet(long generation, Map<String, Ed25519Jwk.Key> byKid, List<String> skipped) {
        static final KeySet NONE = new KeySet(0, Map.of(), List.of());

        /** Whether {@code other} holds the same keys (a fetch that changed nothing keeps the remembered tokens). */
        boolean sameKeys(KeySet other) {
            if (!byKid.keySet().equals(other.byKid.keySet())) {
                return false;
            }
            return byKid.values().stream().allMatch(key -> {
                Ed25519Jwk.Key theirs = other.byKid.get(key.kid());
                return theirs != null && theirs.x().equals(key.x());
            });
        }
    }

    /** A fetch: when it started and what it gives; NEVER before the first. */
    private record Fetch(boolean ever, long startedMillis, CompletableFuture<KeySet> keys) {
        static final Fetch NEVER = new Fetch(false, 0, CompletableFuture.completedFuture(KeySet.NONE));
    }

    /** A token whose signature checked under {@code keys}: its SHA-256, and what a later check of it needs. */
    private static final class Remembered {
        final byte[] digest;
        final long keysGeneration;
        final Claims claims;

        Remembered(byte[] digest, KeySet keys, Claims claims) {
            this.digest = digest;
            this.keysGeneration = keys.generation();
            this.claims = claims;
        }
    }

    /** The claims a token is checked by. */
    private record Claims(
            String userId,
            String tenant,
            long expiresAtSeconds,
            @Nullable Long notBeforeSeconds,
            @Nullable Long readyUntilSeconds) {}

    /** Checks {@code jwt}; never throws for what the token holds, nor for a failed key fetch (a refusal says so). */
    public TokenCheck verify(String jwt) {
        Objects.requireNonNull(jwt, "jwt");
        if (jwt.length() > maxTokenChars) {
            return refused(Reason.MALFORMED, "longer than maxTokenChars (" + maxTokenChars + ")");
        }
        KeySet current = keys;
        byte @Nullable [] digest = null;
        int slot = 0;
        AtomicReferenceArray<Remembered> table = remembered;
        if (table != null) {
            digest = sha256(jwt);
            slot = Math.floorMod(
                    (digest[0] & 0xff) | (digest[1] & 0xff) << 8 | (digest[2] & 0xff) << 16 | (digest[3] & 0x7f) << 24,
                    table.length());
            Remembered seen = table.get(slot);
            if (seen != null
                    && seen.keysGeneration == current.generation()
                    && MessageDigest.isEqual(seen.digest, digest)) {
                return inTime(seen.claims);
            }
        }
        int first = jwt.indexOf('.');
        int second = first < 0 ? -1 : jwt.indexOf('.', first + 1);
        if (second < 0 || jwt.indexOf('.', second + 1) >= 0) {
            return refused(Reason.MALFORMED, "not three dot-separated parts");
        }
        Map<String, Object> header = object(jwt.substring(0, first));
        if (header == null) {
            return refused(Reason.MALFORMED, "the header is not a JSON object in canonical base64url");
        }
        Object alg = header.get("alg");
        if (!"EdDSA".equals(alg)) {
            return refused(
                    Reason.ALGORITHM,
                    "alg " + (alg instanceof String name ? "\"" + HttpCalls.quote(name) + "\"" : "missing")
                            + " (expected: EdDSA)");
        }
        if (header.containsKey("crit")) {
            return refused(Reason.ALGORITHM, "critical header parameters are not supported");
        }
        if (!(header.get("kid") instanceof String kid)) {
            return refused(Reason.MALFORMED, "no kid in the header");
        }
        Map<String, Object> payload = object(jwt.substring(first + 1, second));
        if (payload == null) {
            return refused(Reason.MALFORMED, "the claims are not a JSON object in canonical base64url");
        }
        Claims claims = claims(payload);
        if (claims == null) {
            return refused(Reason.MALFORMED, "sub, tid and exp are required, as a string, a string and a number");
        }
        byte[] signature = Base64Url.decode(jwt.substring(second + 1));
        if (signature == null || signature.length != SIGNATURE_BYTES) {
            return refused(Reason.MALFORMED, "the signature is not 64 bytes in canonical base64url");
        }
        Ed25519Jwk.Key key = current.byKid().get(kid);
        if (key == null) {
            KeySet fetched;
            try {
                fetched = fetched(false);
            } catch (GatehouseClientException e) {
                return refused(Reason.KEYS_UNAVAILABLE, "kid " + quoteKid(kid) + " is not known: " + e.getMessage());
            }
            key = fetched.byKid().get(kid);
            if (key == null) {
                String failure = lastFailure;
                return failure != null
                        ? refused(Reason.KEYS_UNAVAILABLE, "kid " + quoteKid(kid) + " is not known: " + failure)
                        : refused(Reason.UNKNOWN_KEY, "kid " + quoteKid(kid) + " is not among " + describe(fetched));
            }
            current = fetched;
        }
        if (!authentic(key.publicKey(), jwt.substring(0, second), signature)) {
            return refused(Reason.BAD_SIGNATURE, "the signature does not check under kid " + quoteKid(kid));
        }
        if (!tenantId.equals(claims.tenant())) {
            return refused(Reason.WRONG_TENANT, "tid \"" + HttpCalls.quote(claims.tenant()) + "\" is another room's");
        }
        if (table != null && digest != null) {
            table.set(slot, new Remembered(digest, current, claims));
        }
        return inTime(claims);
    }

    /** Accepted when now is before {@code exp} and not before {@code nbf}, each with the leeway. */
    private TokenCheck inTime(Claims claims) {
        long expiresAtSeconds = claims.expiresAtSeconds();
        Long notBeforeSeconds = claims.notBeforeSeconds();
        long nowMillis = clock.millis();
        if (nowMillis >= expiresAtSeconds * 1000 + leewayMillis) {
            return refused(Reason.EXPIRED, "expired at " + Instant.ofEpochSecond(expiresAtSeconds));
        }
        if (notBeforeSeconds != null && notBeforeSeconds * 1000 - leewayMillis > nowMillis) {
            return refused(Reason.NOT_YET_VALID, "not valid before " + Instant.ofEpochSecond(notBeforeSeconds));
        }
        Long readyUntil = claims.readyUntilSeconds();
        Optional<Instant> ready = readyUntil != null && nowMillis < readyUntil * 1000 // no leeway past the ready time
                ? Optional.of(Instant.ofEpochSecond(readyUntil))
                : Optional.empty();
        return new TokenCheck.Accepted(claims.userId(), Instant.ofEpochSecond(expiresAtSeconds), ready);
    }

    private static TokenCheck.Refused refused(Reason reason, String message) {
        return new TokenCheck.Refused(reason, message);
    }

    /** The JSON object a base64url segment holds, or null. */
    @SuppressWarnings("unchecked") // Json makes objects of String names
    private static @Nullable Map<String, Object> object(String segment) {
        byte[] bytes = Base64Url.decode(segment);
        if (bytes == null) {
            return null;
        }
        try {
            return Json.parse(bytes) instanceof Map<?, ?> object ? (Map<String, Object>) object : null;
        } catch (Json.MalformedJson e) {
            return null;
        }
    }

    /** The claims of a token, or null when one is missing or of another type, or a date is out of range. */
    private static @Nullable Claims claims(Map<String, Object> payload) {
        if (!(payload.get("sub") instanceof String user) || !(payload.get("tid") instanceof String tenant)) {
            return null;
        }
        Long expires = seconds(payload.get("exp"));
        if (expires == null) {
            return null;
        }
        Object nbf = payload.get("nbf");
        Long notBefore = seconds(nbf);
        if (nbf != null && notBefore == null) {
            return null;
        }
        Object rdy = payload.get("rdy");
        Long readyUntil = seconds(rdy);
        if (rdy != null && readyUntil == null) {
            return null;
        }
        return new Claims(user, tenant, expires, notBefore, readyUntil);
    }

    /** A NumericDate in 0..9999-12-31 as whole seconds (a fraction dropped), or null. */
    private static @Nullable Long seconds(@Nullable Object value) {
        double seconds;
        if (value instanceof Long whole) {
            seconds = whole;
        } else if (value instanceof Double fraction) {
            seconds = Math.floor(fraction);
        } else {
            return null;
        }
        return seconds >= 0 && seconds <= MAX_EPOCH_SECONDS ? (long) seconds : null;
    }

    private static boolean authentic(PublicKey key, String signed, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(signed.getBytes(StandardCharsets.US_ASCII));
            return verifier.verify(signature);
        } catch (SignatureException | InvalidKeyException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is required of every Java 15+ platform", e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static String quoteKid(String kid) {
        String quoted = HttpCalls.quote(kid);
        return "\""
                + (quoted.length() > MAX_QUOTED_KID_CHARS ? quoted.substring(0, MAX_QUOTED_KID_CHARS) + "…" : quoted)
                + "\"";
    }

    private String describe(KeySet set) {
        return "the " + set.byKid().size() + " usable key(s) of " + jwksUrl
                + (set.skipped().isEmpty() ? "" : " (skipped: " + String.join("; ", set.skipped()) + ")");
    }

    /**
     * Fetches the keys now (or waits for a fetch in progress), whatever the refetch interval: at
     * start, to fail early, or after the room's key is known to have changed. Returns how many usable
     * keys the set holds; throws {@link GatehouseClientException} when they cannot be fetched (the
     * keys fetched before stay in use).
     */
    public int refreshKeys() {
        return fetched(true).byKid().size();
    }

    /**
     * The keys after a fetch: one this call starts (when none ran within the refetch interval, or
     * {@code force}), or the one in progress; the current keys when a fetch is not due. Throws when
     * the fetch this call waited for failed.
     */
    private KeySet fetched(boolean force) {
        while (true) {
            Fetch last = lastFetch.get();
            if (!last.keys().isDone()) {
                return await(last);
            }
            long nowMillis = clock.millis();
            boolean recent = last.ever()
                    && nowMillis >= last.startedMillis()
                    && nowMillis - last.startedMillis() < minRefetchMillis;
            if (recent && !force) {
                return keys;
            }
            Fetch mine = new Fetch(true, nowMillis, new CompletableFuture<>());
            if (!lastFetch.compareAndSet(last, mine)) {
                continue; // another caller started one: wait for it instead
            }
            try {
                KeySet fresh = download();
                KeySet before = keys;
                // the same keys keep their generation, and so the tokens remembered under them
                KeySet kept = fresh.sameKeys(before)
                        ? new KeySet(before.generation(), fresh.byKid(), fresh.skipped())
                        : fresh;
                keys = kept;
                lastFailure = null;
                mine.keys().complete(kept);
                return kept;
            } catch (RuntimeException e) {
                lastFailure = e.getMessage();
                mine.keys().completeExceptionally(e);
                throw e;
            } finally {
                if (!mine.keys().isDone()) { // an Error: the callers waiting for this fetch must not wait on
                    mine.keys().completeExceptionally(new IllegalStateException("the key fetch failed"));
                }
            }
        }
    }

    private KeySet await(Fetch fetch) {
        try {
            return fetch.keys().get(awaitFetchMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            Kind kind = cause instanceof GatehouseClientException failure ? failure.kind() : Kind.CONNECTION;
            throw new GatehouseClientException(kind, String.valueOf(cause.getMessage()), e);
        } catch (TimeoutException e) {
            throw new GatehouseClientException(Kind.TIMEOUT, "the key fetch in progress took too long", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatehouseClientException(Kind.INTERRUPTED, "interrupted waiting for the keys", e);
        }
    }

    /** The room's key set, read: usable Ed25519 keys by kid (a kid given twice is skipped), the others skipped. */
    private KeySet download() {
        String call = "GET " + jwksUrl;
        HttpCalls.Answer answer = http.send(
                call,
                HttpRequest.newBuilder(jwksUrl).GET().header("Accept", "application/jwk-set+json, application/json"));
        if (answer.status() != 200) {
            throw HttpCalls.error(call, answer);
        }
        if (!answer.isJson()) {
            throw new GatehouseClientException(
                    Kind.MALFORMED_ANSWER,
                    call + ": type \"" + HttpCalls.quote(answer.mediaType()) + "\" (expected: application/json)");
        }
        Object set;
        try {
            set = Json.parse(answer.body());
        } catch (Json.MalformedJson e) {
            throw new GatehouseClientException(Kind.MALFORMED_ANSWER, call + ": " + e.getMessage(), e);
        }
        if (!(set instanceof Map<?, ?> members) || !(members.get("keys") instanceof List<?> entries)) {
            throw new GatehouseClientException(
                    Kind.MALFORMED_ANSWER, call + ": not a JWK set (a JSON object with a \"keys\" array)");
        }
        Map<String, Ed25519Jwk.Key> byKid = new LinkedHashMap<>();
        Set<String> repeated = new HashSet<>();
        List<String> skipped = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            try {
                Ed25519Jwk.Key key = Ed25519Jwk.read(entries.get(i));
                if (byKid.putIfAbsent(key.kid(), key) != null) {
                    repeated.add(key.kid());
                }
            } catch (Ed25519Jwk.Unusable e) {
                if (skipped.size() < MAX_SKIPPED_REASONS) {
                    skipped.add("keys[" + i + "]: " + e.getMessage());
                }
            }
        }
        for (String kid : repeated) { // two keys under one id: neither is trusted
            byKid.remove(kid);
            if (skipped.size() < MAX_SKIPPED_REASONS) {
                skipped.add("kid " + quoteKid(kid) + " given twice");
            }
        }
        return new KeySet(generations.incrementAndGet(), Map.copyOf(byKid), List.copyOf(skipped));
    }

    /** Closes the HTTP client the builder made (not one given to it). */
    @Override
    public void close() {
        http.close();
    }

    /**
     * A verifier of the room at {@code roomUrl} (whose {@code /.well-known/jwks.json} holds its keys)
     * for tokens of the tenant {@code tenantId} (the {@code tid} claim; for a {@code BUSINESS_IDS} key,
     * {@link #tenantIdOfBusinessId}).
     */
    public static Builder builder(URI roomUrl, String tenantId) {
        return new Builder(roomUrl, tenantId);
    }

    /**
     * The tenant id the room gives a GatekeeperAPI {@code BUSINESS_IDS} key: {@code key-} and the
     * first 16 hex digits of the SHA-256 of the key's UTF-8 bytes. (Tenants added with {@code
     * gatehouse tenants add} have the id it printed.)
     */
    public static String tenantIdOfBusinessId(String apiKey) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(apiKey.getBytes(StandardCharsets.UTF_8));
            return "key-" + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** Options of an {@link OfflineTokenVerifier}, each with its default. */
    public static final class Builder extends ClientBuilder<Builder> {

        static final Duration DEFAULT_LEEWAY = Duration.ofSeconds(5);
        static final Duration MAX_LEEWAY = Duration.ofMinutes(5);
        static final Duration DEFAULT_MIN_REFETCH_INTERVAL = Duration.ofSeconds(10);
        static final int DEFAULT_MAX_TOKEN_CHARS = 4096;
        static final int DEFAULT_CACHE_SIZE = 4096;

        final String tenantId;
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

        @Override
        Builder self() {
            return this;
        }

        public OfflineTokenVerifier build() {
            return new OfflineTokenVerifier(this, new HttpCalls(http));
        }
    }
}
