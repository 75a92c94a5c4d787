package dev.gatehouse.rate.envoy;

import dev.gatehouse.core.check.Require;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.core.window.WindowCounters;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Envoy's {@code ShouldRateLimit} without gRPC, as envoyproxy/ratelimit answers it: each descriptor
 * is matched to its limit (or takes the one the request sets), limits named in another matched
 * limit's {@code replaces} are dropped, and the others count the descriptor's hits in the fixed
 * window of their unit; a descriptor is over its limit when its count after the hits exceeds the
 * limit, and the request is over when any descriptor is (shadow-mode descriptors report the
 * figures of going over, but never refuse).
 *
 * <p>Counters are kept per domain, entries (a {@code share_threshold} level's pattern in place of the
 * value) and window, not per limit: a request's own limit counts in the configured limit's counter.
 * A counter is named by a SHA-256 of its domain and entries, each part prefixed with its length (so
 * {@code (a_b, c)} and {@code (a, b_c)} never share a counter, unlike envoyproxy/ratelimit's {@code
 * domain_key_value_…} keys), and its window's length and start: every counter takes the same few bytes, however
 * long the entries a client sends, and lives until its window ends.
 */
public final class EnvoyRateLimits {

    /** The most descriptors a request may carry. */
    public static final int MAX_DESCRIPTORS = 64;
    /** The most entries a descriptor may carry. */
    public static final int MAX_ENTRIES = 32;
    /** The longest domain, key or value, in characters. */
    public static final int MAX_TEXT = 1024;

    /** The remaining count of an unlimited descriptor: the largest unsigned 32-bit number. */
    public static final long UNLIMITED_REMAINING = 0xFFFF_FFFFL;

    /** The most hits one descriptor may add at once: a limit is an unsigned 32-bit number, so more is always over. */
    public static final long MAX_HITS = 0xFFFF_FFFFL;

    /** A request's verdict, or a descriptor's. */
    public enum Code {
        OK,
        OVER_LIMIT
    }

    /**
     * What a descriptor's limit says.
     *
     * @param code whether it is over
     * @param limit the limit that counted it; empty: no limit (none matched, replaced, or unlimited)
     * @param remaining what is left in the window (the largest unsigned 32-bit number when unlimited)
     * @param secondsUntilReset until the window ends (0 without a limit)
     */
    public record Status(Code code, Optional<RateLimitRule> limit, long remaining, long secondsUntilReset) {}

    /**
     * A header to add to the answer sent to the client.
     *
     * @param name its name
     * @param value its value
     */
    public record Header(String name, String value) {}

    /**
     * The verdict on a request.
     *
     * @param overall OVER_LIMIT when some descriptor is over (OK in global shadow mode)
     * @param statuses one per descriptor, in the request's order
     * @param responseHeaders {@code RateLimit-Limit}, {@code -Remaining}, {@code -Reset} of the
     *     tightest limit, when enabled
     */
    public record Verdict(Code overall, List<Status> statuses, List<Header> responseHeaders) {}

    /** A request the service cannot judge: its message says why (the gRPC status is INVALID_ARGUMENT). */
    public static final class InvalidRequestException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidRequestException(String message) {
            super(message);
        }
    }

    private record Counted(int index, String key, long hits, RateLimitRule rule) {}

    private final WindowCounters counters;
    private final WallClock clock;
    private final boolean shadowMode;
    private final boolean responseHeaders;
    private volatile EnvoyConfig config;

    /**
     * @param config the descriptors
     * @param counters where the windows are counted
     * @param clock the clock windows are aligned to
     * @param shadowMode never answer OVER_LIMIT overall (envoyproxy/ratelimit's {@code SHADOW_MODE})
     * @param responseHeaders add {@code RateLimit-Limit}, {@code RateLimit-Remaining} and {@code
     *     RateLimit-Reset} (its {@code LIMIT_RESPONSE_HEADERS_ENABLED})
     */
    public EnvoyRateLimits(
            EnvoyConfig config, WindowCounters counters, WallClock clock, boolean shadowMode, boolean responseHeaders) {
        this.config = Require.given("config", config, "a configuration");
        this.counters = Require.given("counters", counters, "window counters");
        this.clock = Require.given("clock", clock, "a wall clock");
        this.shadowMode = shadowMode;
        this.responseHeaders = responseHeaders;
    }

    /** Judges by {@code next} from now on (a reloaded configuration). */
    public void replace(EnvoyConfig next) {
        this.config = Require.given("next", next, "a configuration");
    }

    /** The configuration in force. */
    public EnvoyConfig config() {
        return config;
    }

    /**
     * The verdict on {@code descriptors} of {@code domain}, each counting {@code hitsAddend} hits (0:
     * one) unless it says otherwise; fails with {@link InvalidRequestException} for a request out of
     * shape or bounds, or with the counters' failure.
     */
    public CompletionStage<Verdict> shouldRateLimit(String domain, List<Descriptor> descriptors, long hitsAddend) {
        try {
            check(domain, descriptors);
            if (hitsAddend < 0 || hitsAddend > MAX_HITS) {
                throw new InvalidRequestException("hits_addend: " + hitsAddend + " (expected: 0 to " + MAX_HITS + ")");
            }
        } catch (InvalidRequestException e) {
            return CompletableFuture.failedStage(e);
        }
        EnvoyConfig in = config;
        List<Optional<EnvoyConfig.Match>> matches = new ArrayList<>(descriptors.size());
        Set<String> replaced = new HashSet<>();
        for (Descriptor descriptor : descriptors) {
            Optional<EnvoyConfig.Match> match = descriptor.override().isPresent()
                    ? (in.hasDomain(domain)
                            ? Optional.of(new EnvoyConfig.Match(
                                    RateLimitRule.override(descriptor.override().get()),
                                    descriptor.entries().stream()
                                            .map(Descriptor.Entry::value)
                                            .toList()))
                            : Optional.empty())
                    : in.match(domain, descriptor.entries());
            match.ifPresent(found -> replaced.addAll(found.rule().replaces()));
            matches.add(match);
        }
        long now = clock.epochMillis() / 1000;
        List<Counted> counted = new ArrayList<>();
        for (int i = 0; i < descriptors.size(); i++) {
            Optional<EnvoyConfig.Match> match = matches.get(i);
            if (match.isEmpty()) {
                continue;
            }
            RateLimitRule rule = match.get().rule();
            if (rule.unlimited() || rule.name().filter(replaced::contains).isPresent()) {
                continue;
            }
            Descriptor descriptor = descriptors.get(i);
            long hits = descriptor.hitsAddend().orElse(Math.max(1, hitsAddend));
            long window = rule.unit().seconds();
            counted.add(new Counted(
                    i,
                    counterKey(domain, descriptor.entries(), match.get().counterValues(), window, now - now % window),
                    hits,
                    rule));
        }
        long[] hits = counted.stream().mapToLong(Counted::hits).toArray();
        long[] ttls = counted.stream() // until the window ends: the next window is another counter
                .mapToLong(count -> {
                    long window = count.rule().unit().seconds();
                    return window - now % window;
                })
                .toArray();
        CompletionStage<long[]> after = counted.isEmpty()
                ? CompletableFuture.completedFuture(new long[0])
                : counters.add(counted.stream().map(Counted::key).toList(), hits, ttls);
        return after.thenApply(values -> verdict(descriptors.size(), matches, replaced, counted, values, now));
    }

    private Verdict verdict(
            int size,
            List<Optional<EnvoyConfig.Match>> matches,
            Set<String> replaced,
            List<Counted> counted,
            long[] after,
            long now) {
        List<Status> statuses = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            Optional<RateLimitRule> rule = matches.get(i).map(EnvoyConfig.Match::rule);
            boolean unlimited = rule.filter(limit -> limit.unlimited()
                            && limit.name().filter(replaced::contains).isEmpty())
                    .isPresent();
            statuses.add(
                    unlimited
                            ? new Status(Code.OK, Optional.empty(), UNLIMITED_REMAINING, 0)
                            : new Status(Code.OK, Optional.empty(), 0, 0));
        }
        for (int c = 0; c < counted.size(); c++) {
            Counted count = counted.get(c);
            RateLimitRule rule = count.rule();
            long window = rule.unit().seconds();
            long reset = window - now % window;
            boolean over = after[c] > rule.requestsPerUnit();
            Code code = over && !rule.shadowMode() ? Code.OVER_LIMIT : Code.OK;
            long remaining = over ? 0 : rule.requestsPerUnit() - after[c];
            statuses.set(count.index(), new Status(code, Optional.of(rule), remaining, reset));
        }
        boolean anyOver = statuses.stream().anyMatch(status -> status.code() == Code.OVER_LIMIT);
        Code overall = anyOver && !shadowMode ? Code.OVER_LIMIT : Code.OK;
        return new Verdict(overall, List.copyOf(statuses), responseHeaders ? headers(statuses) : List.of());
    }

    /**
     * The headers of the tightest limit: the limited status with the least remaining (the first of
     * equals), unless some status is over, then the last of those.
     */
    private static List<Header> headers(List<Status> statuses) {
        Status chosen = null;
        for (Status status : statuses) {
            if (status.limit().isPresent() && (chosen == null || status.remaining() < chosen.remaining())) {
                chosen = status;
            }
        }
        for (Status status : statuses) {
            if (status.code() == Code.OVER_LIMIT) {
                chosen = status;
            }
        }
        if (chosen == null || chosen.limit().isEmpty()) {
            return List.of();
        }
        return List.of(
                new Header("RateLimit-Limit", Long.toString(chosen.limit().get().requestsPerUnit())),
                new Header("RateLimit-Remaining", Long.toString(chosen.remaining())),
                new Header("RateLimit-Reset", Long.toString(chosen.secondsUntilReset())));
    }

    private static String counterKey(
            String domain, List<Descriptor.Entry> entries, List<String> values, long window, long start) {
        MessageDigest sha256 = sha256();
        part(sha256, domain);
        for (int i = 0; i < entries.size(); i++) {
            part(sha256, entries.get(i).key());
            part(sha256, values.get(i));
        }
        byte[] digest = sha256.digest();
        // 128 bits of it: a collision needs about 2^64 counters
        // the window's length too: an hour and a minute starting on the same second are two counters
        return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 16)) + ":" + window + ":"
                + start;
    }

    private static final MessageDigest SHA256 = newSha256();

    /** A fresh SHA-256 digest: a clone of one made once, without a provider lookup per counter. */
    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA256.clone();
        } catch (CloneNotSupportedException e) {
            return newSha256();
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** {@code text} into {@code digest}, after its length: no two sequences of parts hash the same bytes. */
    private static void part(MessageDigest digest, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        digest.update((byte) (bytes.length >>> 24));
        digest.update((byte) (bytes.length >>> 16));
        digest.update((byte) (bytes.length >>> 8));
        digest.update((byte) bytes.length);
        digest.update(bytes);
    }

    private static void check(String domain, List<Descriptor> descriptors) {
        if (domain.isEmpty()) {
            throw new InvalidRequestException("rate limit domain must not be empty");
        }
        if (descriptors.isEmpty()) {
            throw new InvalidRequestException("rate limit descriptor list must not be empty");
        }
        bounded("domain", domain);
        if (descriptors.size() > MAX_DESCRIPTORS) {
            throw new InvalidRequestException(
                    descriptors.size() + " descriptors (expected: at most " + MAX_DESCRIPTORS + ")");
        }
        for (int i = 0; i < descriptors.size(); i++) {
            Descriptor descriptor = descriptors.get(i);
            List<Descriptor.Entry> entries = descriptor.entries();
            if (entries.isEmpty() || entries.size() > MAX_ENTRIES) {
                throw new InvalidRequestException(
                        "descriptors[" + i + "]: " + entries.size() + " entries (expected: 1 to " + MAX_ENTRIES + ")");
            }
            if (descriptor.hitsAddend().isPresent()
                    && (descriptor.hitsAddend().getAsLong() < 0
                            || descriptor.hitsAddend().getAsLong() > MAX_HITS)) {
                throw new InvalidRequestException("descriptors[" + i + "].hits_addend: "
                        + Long.toUnsignedString(descriptor.hitsAddend().getAsLong()) + " (expected: at most " + MAX_HITS
                        + ")");
            }
            for (int e = 0; e < entries.size(); e++) {
                Descriptor.Entry entry = entries.get(e);
                if (entry.key().isEmpty()) {
                    throw new InvalidRequestException("descriptors[" + i + "].entries[" + e + "]: empty key");
                }
                bounded("descriptors[" + i + "].entries[" + e + "].key", entry.key());
                bounded("descriptors[" + i + "].entries[" + e + "].value", entry.value());
            }
        }
    }

    private static void bounded(String what, String text) {
        if (text.length() > MAX_TEXT) {
            throw new InvalidRequestException(
                    what + ": " + text.length() + " characters (expected: at most " + MAX_TEXT + ")");
        }
    }
}
