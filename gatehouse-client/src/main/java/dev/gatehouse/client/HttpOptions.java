package dev.gatehouse.client;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** The HTTP options every client's builder has, each checked as it is set. */
final class HttpOptions {

    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    static final int DEFAULT_MAX_ANSWER_BYTES = 64 * 1024;

    /** The most any answer may be allowed to hold: the bound is a bound, not a way around one. */
    static final int MAX_ANSWER_BYTES_LIMIT = 16 * 1024 * 1024;

    Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    int maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES;

    @Nullable
    HttpClient httpClient;

    void connectTimeout(Duration timeout) {
        connectTimeout = positive("connectTimeout", timeout);
    }

    void requestTimeout(Duration timeout) {
        requestTimeout = positive("requestTimeout", timeout);
    }

    void maxAnswerBytes(int bytes) {
        if (bytes < 1 || bytes > MAX_ANSWER_BYTES_LIMIT) {
            throw new IllegalArgumentException(
                    "maxAnswerBytes: " + bytes + " (expected: 1.." + MAX_ANSWER_BYTES_LIMIT + ")");
        }
        maxAnswerBytes = bytes;
    }

    void httpClient(HttpClient client) {
        httpClient = Objects.requireNonNull(client, "httpClient");
    }

    static Duration positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
        }
        return value;
    }

    /**
     * {@code url} as the base of a client's calls: http or https, a host, no query, no fragment, no
     * user information (credentials go in headers, never in a URL that may be logged); without a
     * trailing slash, so that paths are appended to it.
     */
    static URI base(String name, URI url) {
        Objects.requireNonNull(url, name);
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("http") && !scheme.equals("https"))
                || url.getHost() == null
                || url.getRawQuery() != null
                || url.getRawFragment() != null
                || url.getRawUserInfo() != null) {
            throw new IllegalArgumentException(
                    name + ": " + url + " (expected: an http or https URL with a host, without query, fragment or"
                            + " user information)");
        }
        String text = url.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }
}
