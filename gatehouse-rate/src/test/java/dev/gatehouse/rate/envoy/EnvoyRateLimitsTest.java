package dev.gatehouse.rate.envoy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.core.window.MemoryWindowCounters;
import dev.gatehouse.core.window.WindowCounters;
import dev.gatehouse.rate.envoy.EnvoyRateLimits.Code;
import dev.gatehouse.rate.envoy.EnvoyRateLimits.Status;
import dev.gatehouse.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * The cases of envoyproxy/ratelimit's own configuration examples, each rebuilt here as a file and the
 * outcomes its documentation and scripts give, on a manual clock: nested descriptors, key-only
 * defaults, an exact value over a default, depth mismatches, unlimited, shadow mode, replaces,
 * wildcards and share_threshold, hits addends, request overrides, unknown domains, fixed windows
 * aligned to the epoch, and the response headers.
 */
class EnvoyRateLimitsTest {

    /** 20 s before a minute ends (1_700_000_040 is a whole minute since the epoch), at a second's start. */
    private final ManualClock clock = new ManualClock(1_700_000_020L * 1_000_000_000L);

    private EnvoyRateLimits limits(String yaml) {
        return limits(yaml, false, false);
    }

    private EnvoyRateLimits limits(String yaml, boolean shadow, boolean headers) {
        return new EnvoyRateLimits(
                EnvoyConfig.parse(Map.of("config.yaml", yaml)),
                new MemoryWindowCounters(clock, 10_000),
                clock,
                shadow,
                headers);
    }

    private static Descriptor d(String... keyValues) {
        List<Descriptor.Entry> entries = new ArrayList<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            entries.add(new Descriptor.Entry(keyValues[i], keyValues[i + 1]));
        }
        return new Descriptor(entries, Optional.empty(), OptionalLong.empty());
    }

    private static EnvoyRateLimits.Verdict ask(EnvoyRateLimits limits, String domain, Descriptor... descriptors) {
        return limits.shouldRateLimit(domain, List.of(descriptors), 0)
                .toCompletableFuture()
                .join();
    }

    private static List<Code> codes(EnvoyRateLimits.Verdict verdict) {
        return verdict.statuses().stream().map(Status::code).toList();
    }

    private static final String MONGO = """
            domain: mongo_cps
            descriptors:
              - key: database
                value: users
                rate_limit:
                  unit: second
                  requests_per_unit: 500
              - key: database
                value: default
                rate_limit:
                  unit: second
                  requests_per_unit: 500
            """;

    @Test
    void exactValuesCountPerSecondAndAnUnknownValueIsUnlimited() {
        EnvoyRateLimits limits = limits(MONGO);
        for (int i = 1; i <= 500; i++) {
            EnvoyRateLimits.Verdict verdict = ask(limits, "mongo_cps", d("database", "users"));
            assertThat(verdict.overall()).isEqualTo(Code.OK);
            assertThat(verdict.statuses().getFirst().remaining()).isEqualTo(500 - i);
        }
        EnvoyRateLimits.Verdict over = ask(limits, "mongo_cps", d("database", "users"));
        assertThat(over.overall()).isEqualTo(Code.OVER_LIMIT);
        assertThat(over.statuses().getFirst())
                .isEqualTo(
                        new Status(Code.OVER_LIMIT, over.statuses().getFirst().limit(), 0, 1));
        assertThat(over.statuses().getFirst().limit().orElseThrow().requestsPerUnit())
                .isEqualTo(500);
        Status other =
                ask(limits, "mongo_cps", d("database", "other")).statuses().getFirst();
        assertThat(other).isEqualTo(new Status(Code.OK, Optional.empty(), 0, 0));
        clock.advance(Duration.ofSeconds(1)); // the next second is a new window
        assertThat(ask(limits, "mongo_cps", d("database", "users")).overall()).isEqualTo(Code.OK);
    }

    @Test
    void nestedDescriptorsAndAKeyOnlyDefaultCountEachValueApart() {
        EnvoyRateLimits limits = limits("""
                domain: messaging
                descriptors:
                  - key: message_type
                    value: marketing
                    descriptors:
                      - key: to_number
                        rate_limit:
                          unit: day
                          requests_per_unit: 5
                  - key: to_number
                    rate_limit:
                      unit: day
                      requests_per_unit: 100
                """);
        Descriptor marketing = d("message_type", "marketing", "to_number", "2061111111");
        Descriptor number = d("to_number", "2061111111");
        for (int i = 0; i < 5; i++) {
            assertThat(codes(ask(limits, "messaging", marketing, number))).containsExactly(Code.OK, Code.OK);
        }
        EnvoyRateLimits.Verdict sixth = ask(limits, "messaging", marketing, number);
        assertThat(sixth.overall()).isEqualTo(Code.OVER_LIMIT);
        assertThat(codes(sixth)).containsExactly(Code.OVER_LIMIT, Code.OK);
        assertThat(sixth.statuses().get(1).remaining()).isEqualTo(94);
        assertThat(ask(limits, "messaging", d("message_type", "marketing", "to_number", "2062222222"))
                        .overall())
                .as("another number, its own counter")
                .isEqualTo(Code.OK);
        assertThat(ask(limits, "messaging", d("message_type", "marketing"))
                        .statuses()
                        .getFirst()
                        .limit())
                .as("a node without a limit")
                .isEmpty();
    }

    @Test
    void anExactValueBeatsTheDefaultAndAZeroLimitRefusesAtOnce() {
        EnvoyRateLimits limits = limits("""
                domain: edge_proxy_per_ip
                descriptors:
                  - key: remote_address
                    rate_limit:
                      unit: second
                      requests_per_unit: 10
                  - key: remote_address
                    value: 50.0.0.5
                    rate_limit:
                      unit: second
                      requests_per_unit: 0
                """);
        for (int i = 0; i < 10; i++) {
            assertThat(ask(limits, "edge_proxy_per_ip", d("remote_address", "50.0.0.1"))
                            .overall())
                    .isEqualTo(Code.OK);
        }
        assertThat(ask(limits, "edge_proxy_per_ip", d("remote_address", "50.0.0.1"))
                        .overall())
                .isEqualTo(Code.OVER_LIMIT);
        assertThat(ask(limits, "edge_proxy_per_ip", d("remote_address", "50.0.0.5"))
                        .overall())
                .isEqualTo(Code.OVER_LIMIT);
    }

    @Test
    void aLimitIsTakenOnlyAtTheLastEntry() {
        EnvoyRateLimits shallow = limits("""
                domain: example4
                descriptors:
                  - key: key
                    value: value
                    rate_limit:
                      unit: second
                      requests_per_unit: 300
                """);
        assertThat(ask(shallow, "example4", d("key", "value", "subkey", "subvalue"))
                        .statuses()
                        .getFirst()
                        .limit())
                .isEmpty();
        EnvoyRateLimits deep = limits("""
                domain: example4
                descriptors:
                  - key: key
                    value: value
                    descriptors:
                      - key: subkey
                        rate_limit:
                          unit: second
                          requests_per_unit: 300
                """);
        assertThat(ask(deep, "example4", d("key", "value", "subkey", "subvalue"))
                        .statuses()
                        .getFirst()
                        .remaining())
                .isEqualTo(299);
    }

    private static final String RL = """
            domain: rl
            descriptors:
              - key: category
                value: account
                rate_limit:
                  replaces:
                    - name: bkthomps
                    - name: fake_name
                  unit: minute
                  requests_per_unit: 4
              - key: source_cluster
                value: proxy
                descriptors:
                  - key: destination_cluster
                    value: bkthomps
                    rate_limit:
                      replaces:
                        - name: bkthomps
                      unit: minute
                      requests_per_unit: 2
                  - key: destination_cluster
                    value: mock
                    rate_limit:
                      unit: minute
                      requests_per_unit: 1
                  - key: destination_cluster
                    value: override
                    rate_limit:
                      replaces:
                        - name: banned_limit
                      unit: minute
                      requests_per_unit: 2
                  - key: destination_cluster
                    value: fake
                    rate_limit:
                      name: fake_name
                      unit: minute
                      requests_per_unit: 2
              - key: foo
                rate_limit:
                  unit: minute
                  requests_per_unit: 2
                descriptors:
                  - key: bar
                    rate_limit:
                      unit: minute
                      requests_per_unit: 3
                  - key: bar
                    value: bkthomps
                    rate_limit:
                      name: bkthomps
                      unit: minute
                      requests_per_unit: 1
                  - key: bar
                    value: banned
                    rate_limit:
                      name: banned_limit
                      unit: minute
                      requests_per_unit: 0
                  - key: baz
                    rate_limit:
                      unit: second
                      requests_per_unit: 1
                  - key: baz
                    value: not-so-shady
                    rate_limit:
                      unit: minute
                      requests_per_unit: 3
                  - key: baz
                    value: shady
                    rate_limit:
                      unit: minute
                      requests_per_unit: 3
                    shadow_mode: true
                  - key: bay
                    rate_limit:
                      unlimited: true
              - key: unspec
                rate_limit:
                  unit: minute
                  requests_per_unit: 2
                detailed_metric: true
              - key: qux
                rate_limit:
                  unlimited: true
            """;

    @Test
    void theRlDomainsScriptsGiveTheirOutcomes() {
        EnvoyRateLimits limits = limits(RL);
        Descriptor notSoShady = d("foo", "pelle", "baz", "not-so-shady");
        assertThat(List.of(
                        ask(limits, "rl", notSoShady).overall(),
                        ask(limits, "rl", notSoShady).overall(),
                        ask(limits, "rl", notSoShady).overall(),
                        ask(limits, "rl", notSoShady).overall()))
                .containsExactly(Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT);

        Descriptor shady = d("foo", "pelle", "baz", "shady");
        for (int i = 0; i < 6; i++) {
            EnvoyRateLimits.Verdict verdict = ask(limits, "rl", shady);
            assertThat(verdict.overall()).as("shadow mode never refuses").isEqualTo(Code.OK);
            if (i >= 3) { // but it reports the figures of going over
                assertThat(verdict.statuses().getFirst().remaining()).isZero();
                assertThat(verdict.statuses().getFirst().limit()).isPresent();
            }
        }

        Descriptor unspecified = d("unspec", "unspecified_value");
        assertThat(List.of(
                        ask(limits, "rl", unspecified).overall(),
                        ask(limits, "rl", unspecified).overall(),
                        ask(limits, "rl", unspecified).overall()))
                .containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);

        Status unlimited = ask(limits, "rl", d("qux", "anything")).statuses().getFirst();
        assertThat(unlimited).isEqualTo(new Status(Code.OK, Optional.empty(), EnvoyRateLimits.UNLIMITED_REMAINING, 0));
        assertThat(ask(limits, "rl", d("foo", "x", "bay", "y"))
                        .statuses()
                        .getFirst()
                        .remaining())
                .isEqualTo(EnvoyRateLimits.UNLIMITED_REMAINING);
    }

    @Test
    void replacedLimitsAreNeitherAppliedNorCounted() {
        EnvoyRateLimits limits = limits(RL);
        Descriptor banned = d("foo", "bkthomps", "bar", "banned");
        assertThat(ask(limits, "rl", banned).overall()).isEqualTo(Code.OVER_LIMIT);
        assertThat(ask(limits, "rl", banned, d("source_cluster", "proxy", "destination_cluster", "mock"))
                        .overall())
                .isEqualTo(Code.OVER_LIMIT);
        Descriptor override = d("source_cluster", "proxy", "destination_cluster", "override");
        assertThat(List.of(
                        ask(limits, "rl", banned, override).overall(),
                        ask(limits, "rl", banned, override).overall(),
                        ask(limits, "rl", banned, override).overall()))
                .containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);
        assertThat(ask(limits, "rl", banned, override).statuses().getFirst())
                .as("the replaced limit reads as none")
                .isEqualTo(new Status(Code.OK, Optional.empty(), 0, 0));

        Descriptor bkthomps = d("foo", "my_foo", "bar", "bkthomps");
        Descriptor replacer = d("source_cluster", "proxy", "destination_cluster", "bkthomps");
        assertThat(List.of(
                        ask(limits, "rl", bkthomps, replacer).overall(),
                        ask(limits, "rl", bkthomps, replacer).overall(),
                        ask(limits, "rl", bkthomps, replacer).overall()))
                .containsExactly(Code.OK, Code.OK, Code.OVER_LIMIT);
        Descriptor notReplacing = d("source_cluster", "proxy", "destination_cluster", "not_bkthomps");
        assertThat(ask(limits, "rl", bkthomps, notReplacing).overall())
                .as("bkthomps's own counter was never counted while replaced")
                .isEqualTo(Code.OK);
        assertThat(ask(limits, "rl", bkthomps, notReplacing).overall()).isEqualTo(Code.OVER_LIMIT);

        Descriptor five = d("foo", "five", "bar", "bkthomps");
        Descriptor fake = d("source_cluster", "proxy", "destination_cluster", "fake");
        Descriptor account = d("category", "account");
        List<Code> overall = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            overall.add(ask(limits, "rl", five, fake, account).overall());
        }
        assertThat(overall).containsExactly(Code.OK, Code.OK, Code.OK, Code.OK, Code.OVER_LIMIT);
    }

    @Test
    void wildcardsMatchRunsOfCharactersAndShareThresholdSharesOneCounter() {
        EnvoyRateLimits limits = limits("""
                domain: example9
                descriptors:
                  - key: key1
                    value: value*
                    rate_limit:
                      unit: minute
                      requests_per_unit: 20
                  - key: path
                    value: /api/*/action
                    rate_limit:
                      unit: minute
                      requests_per_unit: 1
                  - key: files
                    value: files/*
                    share_threshold: true
                    rate_limit:
                      unit: hour
                      requests_per_unit: 10
                """);
        assertThat(ask(limits, "example9", d("key1", "valueXYZ"))
                        .statuses()
                        .getFirst()
                        .remaining())
                .isEqualTo(19);
        assertThat(ask(limits, "example9", d("key1", "value1"))
                        .statuses()
                        .getFirst()
                        .remaining())
                .as("each value counts apart")
                .isEqualTo(19);
        assertThat(ask(limits, "example9", d("path", "/api/123/action")).overall())
                .isEqualTo(Code.OK);
        assertThat(ask(limits, "example9", d("path", "/api/123/action")).overall())
                .isEqualTo(Code.OVER_LIMIT);
        assertThat(ask(limits, "example9", d("path", "/api/456/action")).overall())
                .isEqualTo(Code.OK);
        assertThat(ask(limits, "example9", d("path", "/api/123/other"))
                        .statuses()
                        .getFirst()
                        .limit())
                .isEmpty();
        for (int i = 0; i < 5; i++) {
            ask(limits, "example9", d("files", "files/a.pdf"));
            ask(limits, "example9", d("files", "files/b.csv"));
        }
        assertThat(ask(limits, "example9", d("files", "files/c.txt")).overall())
                .as("one counter for every matching value")
                .isEqualTo(Code.OVER_LIMIT);
    }

    @Test
    void hitsAddendsOverridesAndUnknownDomains() {
        EnvoyRateLimits limits = limits(MONGO);
        EnvoyRateLimits.Verdict ten = limits.shouldRateLimit("mongo_cps", List.of(d("database", "users")), 10)
                .toCompletableFuture()
                .join();
        assertThat(ten.statuses().getFirst().remaining()).isEqualTo(490);
        Descriptor checkOnly = new Descriptor(
                List.of(new Descriptor.Entry("database", "users")), Optional.empty(), OptionalLong.of(0));
        assertThat(ask(limits, "mongo_cps", checkOnly).statuses().getFirst().remaining())
                .as("a descriptor's own 0 only checks")
                .isEqualTo(490);
        Descriptor overridden = new Descriptor(
                List.of(new Descriptor.Entry("database", "users")),
                Optional.of(new Descriptor.LimitOverride(11, Unit.SECOND)),
                OptionalLong.empty());
        Status status = ask(limits, "mongo_cps", overridden).statuses().getFirst();
        assertThat(status.remaining())
                .as("the request's limit, on the same counter")
                .isEqualTo(0);
        assertThat(status.limit().orElseThrow().name()).isEmpty();
        assertThat(ask(limits, "mongo_cps", overridden).overall()).isEqualTo(Code.OVER_LIMIT);
        assertThat(ask(limits, "unknown", overridden).statuses().getFirst())
                .as("an unknown domain limits nothing, even with an override")
                .isEqualTo(new Status(Code.OK, Optional.empty(), 0, 0));
    }

    @Test
    void windowsAreAlignedToTheEpochAndResetsCountDownToTheirEnd() {
        EnvoyRateLimits limits = limits("""
                domain: d
                descriptors:
                  - key: k
                    rate_limit: {unit: minute, requests_per_unit: 2}
                  - key: w
                    rate_limit: {unit: week, requests_per_unit: 2}
                """);
        assertThat(ask(limits, "d", d("k", "v")).statuses().getFirst().secondsUntilReset())
                .isEqualTo(20);
        clock.advance(Duration.ofSeconds(19));
        assertThat(ask(limits, "d", d("k", "v")).statuses().getFirst().secondsUntilReset())
                .isEqualTo(1);
        assertThat(ask(limits, "d", d("k", "v")).overall()).isEqualTo(Code.OVER_LIMIT);
        clock.advance(Duration.ofSeconds(1)); // the minute ends: a new window, whatever the first hit's time
        assertThat(ask(limits, "d", d("k", "v")).statuses().getFirst()).satisfies(status -> {
            assertThat(status.remaining()).isEqualTo(1);
            assertThat(status.secondsUntilReset()).isEqualTo(60);
        });
        long now = clock.epochMillis() / 1000;
        assertThat(ask(limits, "d", d("w", "v")).statuses().getFirst().secondsUntilReset())
                .isEqualTo(604_800 - now % 604_800);
    }

    @Test
    void globalShadowModeAndResponseHeaders() {
        EnvoyRateLimits shadow = limits(MONGO, true, true);
        Descriptor users = d("database", "users");
        EnvoyRateLimits.Verdict many = shadow.shouldRateLimit("mongo_cps", List.of(users), 501)
                .toCompletableFuture()
                .join();
        assertThat(many.overall()).isEqualTo(Code.OK);
        assertThat(codes(many)).containsExactly(Code.OVER_LIMIT);
        assertThat(many.responseHeaders())
                .containsExactly(
                        new EnvoyRateLimits.Header("RateLimit-Limit", "500"),
                        new EnvoyRateLimits.Header("RateLimit-Remaining", "0"),
                        new EnvoyRateLimits.Header("RateLimit-Reset", "1"));
        assertThat(ask(shadow, "mongo_cps", d("database", "other")).responseHeaders())
                .as("no limit, no headers")
                .isEmpty();
        assertThat(ask(limits(MONGO), "mongo_cps", users).responseHeaders())
                .as("off by default")
                .isEmpty();
    }

    /**
     * However long a client's entries, its counter's name takes the same few bytes (a client cannot
     * fill the counters' memory with long names), and a counter lives until its window ends.
     */
    @Test
    void aCounterIsNamedInAFewBytesAndLivesUntilItsWindowEnds() {
        List<String> keys = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Long> ttls = new java.util.concurrent.CopyOnWriteArrayList<>();
        WindowCounters recording = (names, hits, ttlSeconds) -> {
            keys.addAll(names);
            for (long ttl : ttlSeconds) {
                ttls.add(ttl);
            }
            return java.util.concurrent.CompletableFuture.completedFuture(new long[names.size()]);
        };
        EnvoyRateLimits limits =
                new EnvoyRateLimits(EnvoyConfig.parse(Map.of("config.yaml", MONGO)), recording, clock, false, false);
        Descriptor longOne = new Descriptor(
                Collections.nCopies(32, new Descriptor.Entry("k".repeat(1024), "v".repeat(1024))),
                Optional.of(new Descriptor.LimitOverride(5, Unit.DAY)),
                OptionalLong.empty());
        limits.shouldRateLimit("mongo_cps", List.of(longOne, d("database", "users")), 0)
                .toCompletableFuture()
                .join();
        assertThat(keys).hasSize(2).allSatisfy(key -> assertThat(key.length()).isLessThan(50));
        assertThat(keys.get(0)).isNotEqualTo(keys.get(1));
        long now = clock.epochMillis() / 1000;
        assertThat(ttls).containsExactly(86_400 - now % 86_400, 1L);
        keys.clear();
        Descriptor hourly = new Descriptor(
                List.of(new Descriptor.Entry("database", "users")),
                Optional.of(new Descriptor.LimitOverride(5, Unit.HOUR)),
                OptionalLong.empty());
        clock.advance(java.time.Duration.ofSeconds(1_700_002_800L - 1_700_000_020L)); // a whole hour, and minute
        limits.shouldRateLimit("mongo_cps", List.of(hourly, d("database", "users")), 0)
                .toCompletableFuture()
                .join();
        assertThat(keys.get(0))
                .as("an hour and a second starting together are two counters")
                .isNotEqualTo(keys.get(1));
    }

    @Test
    void hitsPastAnyLimitAreRefusedAndCountsNeverWrap() {
        EnvoyRateLimits limits = limits(MONGO);
        Descriptor tooMany = new Descriptor(
                List.of(new Descriptor.Entry("database", "users")), Optional.empty(), OptionalLong.of(1L << 32));
        assertThatThrownBy(() -> limits.shouldRateLimit("mongo_cps", List.of(tooMany), 0)
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("descriptors[0].hits_addend: 4294967296");
        assertThatThrownBy(() -> limits.shouldRateLimit("mongo_cps", List.of(d("database", "users")), 1L << 32)
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("hits_addend: 4294967296");
        Descriptor most = new Descriptor(
                List.of(new Descriptor.Entry("database", "users")),
                Optional.empty(),
                OptionalLong.of(EnvoyRateLimits.MAX_HITS));
        for (int i = 0; i < 3; i++) {
            assertThat(ask(limits, "mongo_cps", most).overall()).isEqualTo(Code.OVER_LIMIT);
        }
    }

    @Test
    void requestsOutOfShapeOrBoundsAreRefusedNamingWhy() {
        EnvoyRateLimits limits = limits(MONGO);
        assertThatThrownBy(() -> limits.shouldRateLimit("", List.of(d("a", "b")), 0)
                        .toCompletableFuture()
                        .join())
                .isInstanceOf(CompletionException.class)
                .hasMessageContaining("rate limit domain must not be empty");
        assertThatThrownBy(() -> limits.shouldRateLimit("mongo_cps", List.of(), 0)
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("rate limit descriptor list must not be empty");
        assertThatThrownBy(() -> limits.shouldRateLimit("mongo_cps", List.of(d()), 0)
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("descriptors[0]: 0 entries");
        assertThatThrownBy(() -> limits.shouldRateLimit("mongo_cps", List.of(d("", "x")), 0)
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("descriptors[0].entries[0]: empty key");
        assertThatThrownBy(() -> limits.shouldRateLimit("mongo_cps", Collections.nCopies(65, d("a", "b")), 0)
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("65 descriptors");
        assertThatThrownBy(() -> limits.shouldRateLimit("mongo_cps", List.of(d("a", "x".repeat(1025))), 0)
                        .toCompletableFuture()
                        .join())
                .hasMessageContaining("1025 characters");
    }
}
