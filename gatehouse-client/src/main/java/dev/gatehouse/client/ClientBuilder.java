package dev.gatehouse.client;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The HTTP options every client's builder has, each checked as it is set.
 *
 * @param <B> the builder itself, so that each setter returns it
 */
abstract class ClientBuilder<B extends ClientBuilder<B>> {

    final HttpOptions http = new HttpOptions();

    abstract B self();

    /** How long a connection may take to open (2 s); ignored with {@link #httpClient}, which has its own. */
    public B connectTimeout(Duration timeout) {
        http.connectTimeout(timeout);
        return self();
    }

    /** How long a call may take, from sending to the last byte of the answer (5 s). */
    public B requestTimeout(Duration timeout) {
        http.requestTimeout(timeout);
        return self();
    }

    /** The longest answer read, in bytes (65,536); a longer one fails the call. */
    public B maxAnswerBytes(int bytes) {
        http.maxAnswerBytes(bytes);
        return self();
    }

    /**
     * An HTTP client to send with (to share one, or for TLS settings), instead of one made with
     * {@link #connectTimeout} that follows no redirect. Its owner closes it; give it no redirect
     * policy that would send a key to another host.
     */
    public B httpClient(HttpClient client) {
        http.httpClient(client);
        return self();
    }
}
