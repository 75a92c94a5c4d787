package dev.gatehouse.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

/**
 * How a surface writes its error answers, so that clients written for the project it stands in for
 * read them unchanged. The style writes the refusals of the shared plumbing that carry a body
 * (unknown path, wrong method, oversized body, malformed request) as well as the surface's own
 * messages; 414 and 431 from the HTTP codec carry none.
 */
public enum ErrorStyle {

    /**
     * gocc: the surface's messages in plain text; what the router itself refuses (404, 405, 500) in
     * the JSON of gocc's web framework, echo: {@code {"message":"Not Found"}}.
     */
    PLAIN("message"),

    /** FastAPI, as GatekeeperAPI answers: {@code {"detail":"…"}}. */
    DETAIL("detail"),

    /** Wicket's admin API: {@code {"error":"…"}} and a newline, as Go's JSON encoder ends a value. */
    ERROR("error");

    /** The content type of plain-text answers, as gocc (echo) writes it; made once (Vert.x checks a String per set). */
    public static final CharSequence PLAIN_TEXT = HttpHeaders.createOptimized("text/plain; charset=UTF-8");

    private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");

    private final String field;

    ErrorStyle(String field) {
        this.field = field;
    }

    /** Ends {@code response} with {@code status} and {@code message} in this style; nothing when it has ended. */
    public void send(HttpServerResponse response, int status, String message) {
        if (this == PLAIN) {
            sendText(response, status, message);
        } else {
            sendJson(response, status, message);
        }
    }

    /**
     * Ends {@code response} with a refusal of the router itself ({@code reason}: {@code Not Found},
     * {@code Method Not Allowed}, {@code Internal Server Error}).
     */
    void sendRouterError(HttpServerResponse response, int status, String reason) {
        sendJson(response, status, reason);
    }

    private void sendJson(HttpServerResponse response, int status, String message) {
        if (response.ended() || response.closed()) {
            return;
        }
        String quoted = new String(JsonStringEncoder.getInstance().quoteAsString(message));
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
                .end("{\"" + field + "\":\"" + quoted + "\"}" + (this == DETAIL ? "" : "\n"));
    }

    /**
     * {@code request}'s response, set to end its connection after it where the protocol says so in a
     * header: {@code Connection: close} on HTTP/1.x. Not on HTTP/2, which forbids the header (RFC 9113
     * 8.2.2: a client resets a stream whose answer carries it, and never reads the answer) and whose
     * connection goes on serving its other streams.
     */
    public static HttpServerResponse closing(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        if (request.version() != HttpVersion.HTTP_2) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        return response;
    }

    /** Ends {@code response} with {@code status} and {@code text} as {@code text/plain}, in any style. */
    public static void sendText(HttpServerResponse response, int status, String text) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, PLAIN_TEXT)
                .end(text);
    }
}
