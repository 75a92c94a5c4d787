package dev.gatehouse.testing.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A plain TCP connection to a listener on 127.0.0.1, to send bytes no HTTP client would send. */
public final class RawConnection implements AutoCloseable {

    /** How long any read waits for the server: a liveness bound, not a measured time. */
    public static final Duration ANSWER_BOUND = Duration.ofSeconds(5);

    private final Socket socket;
    private final InputStream in;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private boolean closedByServer;

    private RawConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** The status of the first HTTP/1.x answer in {@code answers}; fails when there is none. */
    public static int status(String answers) {
        java.util.regex.Matcher matcher =
                java.util.regex.Pattern.compile("^HTTP/1\\.[01] (\\d{3}) ").matcher(answers);
        org.assertj.core.api.Assertions.assertThat(matcher.find())
                .as("an HTTP/1.1 answer in: %s", answers)
                .isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    public static RawConnection open(int port) {
        try {
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), (int)
                    ANSWER_BOUND.toMillis());
            socket.setSoTimeout((int) ANSWER_BOUND.toMillis());
            return new RawConnection(socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public RawConnection send(String text) {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    public RawConnection send(byte[] bytes) {
        try {
            write(bytes);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends {@code bytes}; false if the server had closed the connection already. */
    public boolean trySend(byte[] bytes) {
        try {
            write(bytes);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Ends this side of the connection (a FIN, as {@code shutdown(SHUT_WR)} and {@code nc -N}); reads go on. */
    public RawConnection endSending() {
        try {
            socket.shutdownOutput();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /**
     * Reads until the server closes the connection, failing if it neither closes nor sends
     * anything for {@link #ANSWER_BOUND}; returns all bytes received so far.
     */
    public String readUntilClosed() {
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                received.write(buffer, 0, n);
            }
            closedByServer = true;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("server neither answered nor closed within " + ANSWER_BOUND + ", got: " + text());
        } catch (SocketException e) {
            closedByServer = true; // reset: closed too
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text();
    }

    /** Reads until {@code count} complete answers (status line to end of body) arrived; returns them. */
    public String readAnswers(int count) {
        byte[] buffer = new byte[8192];
        try {
            while (Answers.count(text()) < count) {
                int n = in.read(buffer);
                if (n < 0) {
                    closedByServer = true;
                    break;
                }
                received.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no " + count + " answers within " + ANSWER_BOUND + ", got: " + text());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text();
    }

    /** Reads exactly {@code count} bytes. */
    public byte[] readBytes(int count) {
        try {
            return in.readNBytes(count);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes the server sends, for a reader of another protocol (HTTP/2 frames). */
    public InputStream input() {
        return in;
    }

    public boolean closedByServer() {
        return closedByServer;
    }

    public String text() {
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a test socket
        }
    }

    /** Counting HTTP/1.1 answers in received text (Content-Length bodies only, as the server sends). */
    public static final class Answers {

        private Answers() {}

        public static int count(String text) {
            int count = 0;
            int at = 0;
            while (true) {
                int start = text.indexOf("HTTP/1.", at);
                if (start < 0) {
                    return count;
                }
                int headEnd = text.indexOf("\r\n\r\n", start);
                if (headEnd < 0) {
                    return count;
                }
                String head = text.substring(start, headEnd).toLowerCase(java.util.Locale.ROOT);
                int lengthAt = head.indexOf("content-length:");
                int length = 0;
                if (lengthAt >= 0) {
                    int lineEnd = head.indexOf("\r\n", lengthAt);
                    length = Integer.parseInt(head.substring(lengthAt + 15, lineEnd < 0 ? head.length() : lineEnd)
                            .trim());
                }
                int end = headEnd + 4 + length;
                if (end > text.length()) {
                    return count;
                }
                if (!head.startsWith("http/1.1 100")) {
                    count++;
                }
                at = end;
            }
        }
    }
}
