package dev.gatehouse.core.key;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyExtractorTest {

    /** A request as a test writes it: a peer address, headers (a name may repeat), cookies, a user. */
    record Request(
            @Nullable String remoteAddress,
            List<Map.Entry<String, String>> headerLines,
            Map<String, String> cookies,
            @Nullable String principal)
            implements RequestFacts {

        static Request from(@Nullable String remote, String... headers) {
            List<Map.Entry<String, String>> lines = new java.util.ArrayList<>();
            for (int i = 0; i < headers.length; i += 2) {
                lines.add(Map.entry(headers[i], headers[i + 1]));
            }
            return new Request(remote, lines, Map.of(), null);
        }

        @Override
        public List<String> headers(String name) {
            return headerLines.stream()
                    .filter(line -> line.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT)))
                    .map(Map.Entry::getValue)
                    .toList();
        }

        @Override
        public @Nullable String cookie(String name) {
            return cookies.get(name);
        }
    }

    /** Wicket's table for {@code ProxyAwareKey(hops)}, the remote address without its port. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "single-hop | 1 | 203.0.113.5, 10.0.0.1 | 10.0.0.1 | 10.0.0.1",
                "two-hop | 2 | 203.0.113.5, 10.0.0.1, 10.0.0.2 | 10.0.0.2 | 10.0.0.1",
                "missing-xff falls back to remote | 1 | | 192.0.2.7 | 192.0.2.7",
                "too-few-hops falls back | 5 | 203.0.113.5, 10.0.0.1 | 10.0.0.1 | 10.0.0.1",
                "single-entry | 1 | 203.0.113.5 | 10.0.0.1 | 203.0.113.5",
            })
    void forwardedFor_keepsWicketsProxyAwareKeyTable(String name, int hops, String xff, String remote, String want) {
        Request request = xff == null ? Request.from(remote) : Request.from(remote, "X-Forwarded-For", xff);
        assertThat(KeyExtractor.forwardedFor(hops).keyOrAddress(request)).isEqualTo(want);
    }

    /** A proxy that writes the client's port: one key per client, not per source port. */
    @Test
    void forwardedFor_dropsAPortAfterTheAddress() {
        for (String[] written : new String[][] {
            {"10.9.9.9:1", "10.9.9.9"},
            {"10.9.9.9:65535", "10.9.9.9"},
            {"[2001:db8::1]:443", "2001:db8::1"},
            {"2001:db8::1", "2001:db8::1"},
            {"10.9.9.9:x", "10.9.9.9:x"},
            {"[2001:db8::1]", "2001:db8::1"}
        }) {
            assertThat(KeyExtractor.forwardedFor(1).keyOf(Request.from("10.0.0.9", "X-Forwarded-For", written[0])))
                    .as(written[0])
                    .isEqualTo(written[1]);
        }
    }

    @Test
    void forwardedFor_readsEveryHeaderInOrderAndSkipsEmptyEntries() {
        Request split =
                Request.from("10.0.0.9", "X-Forwarded-For", "198.51.100.1, 203.0.113.5", "x-forwarded-for", "10.0.0.1");
        assertThat(KeyExtractor.forwardedFor(1).keyOf(split)).isEqualTo("10.0.0.1");
        assertThat(KeyExtractor.forwardedFor(2).keyOf(split)).isEqualTo("203.0.113.5");
        assertThat(KeyExtractor.forwardedFor(3).keyOf(split)).isEqualTo("198.51.100.1");
        assertThat(KeyExtractor.forwardedFor(4).keyOf(split)).isNull();

        Request gaps = Request.from("10.0.0.9", "X-Forwarded-For", "203.0.113.5, , ,10.0.0.1,");
        assertThat(KeyExtractor.forwardedFor(2).keyOf(gaps)).isEqualTo("203.0.113.5");
        assertThat(KeyExtractor.forwardedFor(1).keyOf(Request.from("10.0.0.9", "X-Forwarded-For", " , ")))
                .isNull();
        assertThat(KeyExtractor.forwardedFor(1).keyOf(Request.from("10.0.0.9", "X-Forwarded-For", "[2001:DB8::0001]")))
                .as("an address in one spelling")
                .isEqualTo("2001:db8::1");
        assertThatThrownBy(() -> KeyExtractor.forwardedFor(0)).hasMessageContaining("trustedHops");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "192.0.2.7, 192.0.2.7",
        "192.000.002.007, 192.0.2.7",
        "0.0.0.0, 0.0.0.0",
        "01.2.3.4, 1.2.3.4",
        "1.2.3, 1.2.3",
        "256.1.1.1, 256.1.1.1",
        "1.2.3.4.5, 1.2.3.4.5",
        "0:0:0:0:0:0:0:1, ::1",
        "'[2001:DB8:0:0:1:0:0:1]', 2001:db8::1:0:0:1",
        "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
        "2001:0:0:1:0:0:0:1, 2001:0:0:1::1",
        "::ffff:192.0.2.1, 192.0.2.1",
        "fe80::1%eth0, fe80::1",
        "999.1.1.1, 999.1.1.1",
        "1::2::3, 1::2::3",
        "example.com, example.com",
        "unix:/tmp/socket, unix:/tmp/socket",
    })
    void remoteAddress_isKeyedInOneSpellingAndNothingIsLookedUp(String given, String key) {
        assertThat(KeyExtractor.remoteAddress().keyOf(Request.from(given))).isEqualTo(key);
    }

    @Test
    void remoteNetwork_keysAClientByItsNetwork() {
        KeyExtractor network = KeyExtractor.remoteNetwork(24, 64);
        assertThat(network.keyOf(Request.from("192.0.2.77"))).isEqualTo("192.0.2.0/24");
        assertThat(network.keyOf(Request.from("2001:db8:1:2:aaaa:bbbb:cccc:dddd")))
                .isEqualTo("2001:db8:1:2::/64");
        assertThat(network.keyOf(Request.from("2001:db8:1:2::9"))).isEqualTo("2001:db8:1:2::/64");
        assertThat(KeyExtractor.remoteNetwork(32, 128).keyOf(Request.from("192.0.2.77")))
                .isEqualTo("192.0.2.77");
        assertThat(KeyExtractor.remoteNetwork(20, 60).keyOf(Request.from("2001:db8:1:1f::1")))
                .isEqualTo("2001:db8:1:10::/60");
        assertThat(network.keyOf(Request.from(null))).isEqualTo(KeyExtractor.UNKNOWN);
    }

    @Test
    void headerCookieApiKeyAndPrincipal_areReadAndAnEmptyOneIsNone() {
        Request request = new Request(
                "192.0.2.7",
                List.of(
                        Map.entry("X-Tenant", "acme"),
                        Map.entry("Authorization", "Bearer s3cret"),
                        Map.entry("X-Empty", "")),
                Map.of("sid", "abc"),
                "alice");
        assertThat(KeyExtractor.header("x-tenant").keyOf(request)).isEqualTo("acme");
        assertThat(KeyExtractor.header("X-Empty").keyOf(request)).isNull();
        assertThat(KeyExtractor.header("X-Absent").keyOf(request)).isNull();
        assertThat(KeyExtractor.cookie("sid").keyOf(request)).isEqualTo("abc");
        assertThat(KeyExtractor.principal().keyOf(request)).isEqualTo("user:alice");
        String apiKey = KeyExtractor.apiKey("Authorization").keyOf(request);
        assertThat(apiKey).startsWith("key:").hasSize(4 + 32).doesNotContain("s3cret");
        assertThat(KeyExtractor.apiKey("X-Api-Key").keyOf(Request.from("1.1.1.1", "X-Api-Key", "s3cret")))
                .as("the key's hash whether it came bare or as a bearer token")
                .isEqualTo(apiKey);
        assertThat(KeyExtractor.principal().keyOf(Request.from("1.1.1.1"))).isNull();
    }

    @Test
    void compositeNeedsEveryPartAndFallbacksGoInOrder() {
        Request request = Request.from("192.0.2.7", "X-Api-Key", "k1");
        KeyExtractor both = KeyExtractor.composite(KeyExtractor.remoteAddress(), KeyExtractor.header("X-Api-Key"));
        assertThat(both.keyOf(request)).isEqualTo("192.0.2.7|k1");
        assertThat(both.keyOf(Request.from("192.0.2.7"))).isNull();
        KeyExtractor fallbacks = KeyExtractor.firstOf(KeyExtractor.principal(), KeyExtractor.header("X-Api-Key"));
        assertThat(fallbacks.keyOf(request)).isEqualTo("k1");
        assertThat(fallbacks.keyOrAddress(Request.from("192.0.2.8"))).isEqualTo("192.0.2.8");
        assertThat(KeyExtractor.header("X-None")
                        .orElse(KeyExtractor.header("X-Api-Key"))
                        .keyOf(request))
                .isEqualTo("k1");
        assertThat(KeyExtractor.of(r -> r.header("X-Api-Key") + "/" + r.remoteAddress())
                        .keyOf(request))
                .isEqualTo("k1/192.0.2.7");
        assertThat(KeyExtractor.of(r -> null).keyOrAddress(Request.from(null))).isEqualTo(KeyExtractor.UNKNOWN);
    }

    @Test
    void everyKeyIsBounded() {
        String longValue = "v".repeat(10_000);
        Request request = Request.from("192.0.2.7", "X-Long", longValue, "X-Forwarded-For", longValue);
        assertThat(KeyExtractor.header("X-Long").keyOf(request)).hasSize(KeyExtractor.MAX_KEY_CHARS);
        assertThat(KeyExtractor.forwardedFor(1).keyOf(request)).hasSize(KeyExtractor.MAX_KEY_CHARS);
        assertThat(KeyExtractor.composite(KeyExtractor.header("X-Long"), KeyExtractor.header("X-Long"))
                        .keyOf(request))
                .hasSize(KeyExtractor.MAX_KEY_CHARS);
        assertThat(KeyExtractor.of(r -> longValue).keyOf(request)).hasSize(KeyExtractor.MAX_KEY_CHARS);
    }
}
