package dev.gatehouse.client;

import dev.gatehouse.client.GatehouseClientException.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Calls bounded in time and size over one {@link HttpClient}: an answer is read only up to {@code
 * maxAnswerBytes} (a longer one is cut off and the connection dropped), and a call that has not
 * been answered in full within {@code requestTimeout} is cancelled, a slow body included (the JDK's
 * own request timeout stops at the headers).
 */
final class HttpCalls implements AutoCloseable {

    /** The longest piece of a body that is not the API's (a proxy's error page) quoted in a message. */
    private static final int MAX_QUOTED_CHARS = 200;

    private final HttpClient client;
    private final boolean ownsClient;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int maxAnswerBytes;

    HttpCalls(HttpOptions options) {
        HttpClient given = options.httpClient;
        this.ownsClient = given == null;
        this.client = given != null
                ? given
                : HttpClient.newBuilder()
                        .connectTimeout(options.connectTimeout)
                        .followRedirects(HttpClient.Redirect.NEVER) // the API key never follows a redirect
                        .build();
        this.connectTimeout = options.connectTimeout;
        this.requestTimeout = options.requestTimeout;
        this.maxAnswerBytes = options.maxAnswerBytes;
    }

    /** An answer read in full. */
    static final class Answer {

        private final int status;
        private final HttpHeaders headers;
        private final byte[] body;

        Answer(int status, HttpHeaders headers, byte[] body) {
            this.status = status;
            this.headers = headers;
            this.body = body;
        }

        int status() {
            return status;
        }

        HttpHeaders headers() {
            return headers;
        }

        /** The body as read (not a copy: nobody outside this package sees it). */
        byte[] body() {
            return body;
        }

        /** The media type of the body, lowercase, without parameters; empty when none is given. */
        String mediaType() {
            String type = headers.firstValue("content-type").orElse("");
            int semicolon = type.indexOf(';');
            return (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        }

        /** Whether the body is declared JSON: {@code application/json} or a {@code +json} type. */
        boolean isJson() {
            String type = mediaType();
            return type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Sends {@code request} (whose timeout is set here) and reads the whole answer; {@code call} names it in errors. */
    Answer send(String call, HttpRequest.Builder request) {
        CompletableFuture<HttpResponse<byte[]>> answer;
        try {
            answer = client.sendAsync(request.timeout(requestTimeout).build(), info -> bounded(info, maxAnswerBytes));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(call + ": " + e.getMessage(), e);
        }
        try {
            HttpResponse<byte[]> response = answer.get(requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
            return new Answer(response.statusCode(), response.headers(), response.body());
        } catch (TimeoutException e) {
            answer.cancel(true); // aborts the exchange and closes its connection
            throw new GatehouseClientException(
                    Kind.TIMEOUT, call + ": no complete answer within requestTimeout (" + requestTimeout + ")", e);
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new GatehouseClientException(Kind.INTERRUPTED, call + ": interrupted", e);
        } catch (ExecutionException e) {
            throw failure(call, e.getCause() == null ? e : e.getCause());
        }
    }

    private GatehouseClientException failure(String call, Throwable cause) {
        Throwable failure = cause;
        while (failure instanceof CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        if (failure instanceof AnswerTooLarge) {
            return new GatehouseClientException(
                    Kind.ANSWER_TOO_LARGE,
                    call + ": the answer is longer than maxAnswerBytes (" + maxAnswerBytes + " bytes)",
                    failure);
        }
        if (failure instanceof HttpConnectTimeoutException) {
            return new GatehouseClientException(
                    Kind.TIMEOUT, call + ": not connected within connectTimeout (" + connectTimeout + ")", failure);
        }
        if (failure instanceof HttpTimeoutException) {
            return new GatehouseClientException(
                    Kind.TIMEOUT, call + ": no answer within requestTimeout (" + requestTimeout + ")", failure);
        }
        if (failure instanceof ConnectException) {
            return new GatehouseClientException(Kind.CONNECTION, call + ": cannot connect: " + failure, failure);
        }
        if (failure instanceof IOException) {
            return new GatehouseClientException(Kind.CONNECTION, call + ": " + failure, failure);
        }
        return new GatehouseClientException(Kind.CONNECTION, call + ": " + failure, failure);
    }

    /** An error status as an exception: the server's words, read from what the body turns out to be. */
    static ErrorResponseException error(String call, Answer answer) {
        return new ErrorResponseException(
                call,
                answer.status(),
                detail(answer),
                retryAfter(answer.headers()).orElse(null));
    }

    /**
     * The server's explanation in an error answer: {@code detail} of a JSON object (FastAPI's list of
     * validation errors as their messages), {@code message} or {@code error} of the other styles, plain
     * text as it is, and of anything else its start, every control character a space.
     */
    static String detail(Answer answer) {
        if (answer.body().length == 0) {
            return "";
        }
        if (answer.isJson()) {
            try {
                if (Json.parse(answer.body()) instanceof Map<?, ?> object) {
                    for (String name : List.of("detail", "message", "error")) {
                        Object value = object.get(name);
                        if (value instanceof String text) {
                            return quote(text);
                        }
                        if (value instanceof List<?> errors) {
                            StringBuilder joined = new StringBuilder();
                            for (Object error : errors) {
                                if (error instanceof Map<?, ?> entry && entry.get("msg") instanceof String msg) {
                                    joined.append(joined.isEmpty() ? "" : "; ").append(msg);
                                }
                            }
                            return quote(joined.toString());
                        }
                    }
                }
            } catch (Json.MalformedJson e) {
                // quoted below as text
            }
        }
        return quote(answer.text());
    }

    /** {@code text}, trimmed, at most {@link #MAX_QUOTED_CHARS}, every control character a space. */
    static String quote(String text) {
        String trimmed = text.strip();
        String cut = trimmed.length() > MAX_QUOTED_CHARS ? trimmed.substring(0, MAX_QUOTED_CHARS) + "…" : trimmed;
        StringBuilder clean = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> clean.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        return clean.toString();
    }

    /**
     * {@code Retry-After} of an answer: delta-seconds, or an HTTP-date (how long from now until then,
     * never negative); empty when absent or neither.
     */
    static Optional<Duration> retryAfter(HttpHeaders headers) {
        Optional<String> header = headers.firstValue("retry-after").map(String::strip);
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String value = header.get();
        OptionalLong seconds = digits(value, 12);
        if (seconds.isPresent()) {
            return Optional.of(Duration.ofSeconds(seconds.getAsLong()));
        }
        try {
            Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
            Duration wait = Duration.between(Instant.now(), at);
            return Optional.of(wait.isNegative() ? Duration.ZERO : wait);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** {@code text} as a non-negative decimal of at most {@code maxDigits} ASCII digits. */
    static OptionalLong digits(String text, int maxDigits) {
        if (text.isEmpty() || text.length() > maxDigits) {
            return OptionalLong.empty();
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalLong.empty();
            }
        }
        try {
            return OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            return OptionalLong.empty(); // past a long
        }
    }

    /** The client is closed when this made it; a client given to the builder is its owner's to close. */
    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    /** The body of an answer, refused unread when its declared length is over {@code max}, cut off when it grows over it. */
    private static HttpResponse.BodySubscriber<byte[]> bounded(HttpResponse.ResponseInfo info, int max) {
        OptionalLong declared = OptionalLong.empty();
        try {
            declared = info.headers().firstValueAsLong("content-length");
        } catch (NumberFormatException e) {
            // the JDK frames the body itself; a length it could not read is not ours to trust
        }
        return new BoundedBody(max, declared.isPresent() && declared.getAsLong() > max);
    }

    /** The signal, inside the client, that a body outgrew its bound. */
    private static final class AnswerTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        AnswerTooLarge(int max) {
            super("the answer is longer than " + max + " bytes");
        }
    }

    /** Collects a body of at most {@code max} bytes; cancels the exchange when it would be longer. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final int max;
        private final boolean tooLargeAlready;
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private Flow.@Nullable Subscription subscription;

        BoundedBody(int max, boolean tooLargeAlready) {
            this.max = max;
            this.tooLargeAlready = tooLargeAlready;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (tooLargeAlready) {
                refuse();
                return;
            }
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (body.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (buffer.remaining() > max - bytes.size()) {
                    refuse();
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        private void refuse() {
            Flow.Subscription current = subscription;
            if (current != null) {
                current.cancel();
            }
            body.completeExceptionally(new AnswerTooLarge(max));
        }

        @Override
        public void onError(Throwable failure) {
            body.completeExceptionally(failure);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
