package dev.gatehouse.server;

import dev.gatehouse.testing.http.RawConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * An HTTP/2 prior-knowledge connection over a plain socket: frames are written by hand, header
 * blocks coded by Netty's HPACK coder, so a test can send what no real client would.
 */
public final class Http2Connection implements AutoCloseable {

    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int DATA = 0;
    static final int HEADERS = 1;
    public static final int RST_STREAM = 3;
    static final int SETTINGS = 4;
    static final int PING = 6;
    public static final int GOAWAY = 7;
    static final int END_STREAM = 0x1;
    static final int END_HEADERS = 0x4;
    static final int PADDED = 0x8;
    static final int PRIORITY = 0x20;

    /** One frame read from the server; {@code headers} is set for HEADERS frames. */
    public record Frame(int type, int flags, int streamId, byte[] payload, Http2Headers headers) {
        int errorCode() {
            return (payload[0] & 0xff) << 24
                    | (payload[1] & 0xff) << 16
                    | (payload[2] & 0xff) << 8
                    | (payload[3] & 0xff);
        }
    }

    private final RawConnection raw;
    private final DataInputStream in;
    private final DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

    private Http2Connection(RawConnection raw) {
        this.raw = raw;
        this.in = new DataInputStream(raw.input());
    }

    /** Connects to {@code port} and sends the preface and an empty SETTINGS frame. */
    public static Http2Connection open(int port) {
        try {
            Http2Connection connection = new Http2Connection(RawConnection.open(port));
            ByteArrayOutputStream start = new ByteArrayOutputStream();
            start.write(PREFACE);
            start.write(frame(SETTINGS, 0, 0, new byte[0]));
            connection.send(start.toByteArray());
            return connection;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] frame(int type, int flags, int streamId, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        frame[5] = (byte) (streamId >>> 24 & 0x7f);
        frame[6] = (byte) (streamId >>> 16);
        frame[7] = (byte) (streamId >>> 8);
        frame[8] = (byte) streamId;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    /** A HEADERS frame for a GET of {@code path}, with or without {@code :authority}. */
    byte[] get(int streamId, String path, boolean withAuthority, boolean endStream) {
        Http2Headers headers =
                new DefaultHttp2Headers().method("GET").scheme("http").path(path);
        if (withAuthority) {
            headers.authority("127.0.0.1");
        }
        return headers(streamId, headers, endStream);
    }

    /** A HEADERS frame of {@code headers}, as they are. */
    public byte[] headers(int streamId, Http2Headers headers, boolean endStream) {
        ByteBuf block = Unpooled.buffer();
        try {
            encoder.encodeHeaders(streamId, headers, block);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
        byte[] bytes = new byte[block.readableBytes()];
        block.readBytes(bytes);
        block.release();
        return frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), streamId, bytes);
    }

    static byte[] rstStream(int streamId, int errorCode) {
        return frame(RST_STREAM, 0, streamId, new byte[] {
            (byte) (errorCode >>> 24), (byte) (errorCode >>> 16), (byte) (errorCode >>> 8), (byte) errorCode
        });
    }

    static byte[] ping(long data) {
        byte[] payload = new byte[8];
        for (int i = 0; i < 8; i++) {
            payload[i] = (byte) (data >>> (56 - 8 * i));
        }
        return frame(PING, 0, 0, payload);
    }

    public Http2Connection send(byte[] bytes) {
        raw.send(bytes);
        return this;
    }

    /** The next frame, or empty once the server closed the connection. */
    public Optional<Frame> read() {
        try {
            int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int streamId = in.readInt() & 0x7fffffff;
            byte[] payload = new byte[length];
            in.readFully(payload);
            Http2Headers headers = null;
            if (type == HEADERS) {
                int from = (flags & PADDED) != 0 ? 1 : 0;
                int to = payload.length - ((flags & PADDED) != 0 ? payload[0] & 0xff : 0);
                from += (flags & PRIORITY) != 0 ? 5 : 0; // stream dependency and weight
                ByteBuf block = Unpooled.wrappedBuffer(payload, from, to - from);
                headers = decoder.decodeHeaders(streamId, block);
            }
            return Optional.of(new Frame(type, flags, streamId, payload, headers));
        } catch (EOFException | SocketException e) {
            return Optional.empty();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("server neither sent a frame nor closed within " + RawConnection.ANSWER_BOUND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Http2Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads frames until one matches (returned) or the server closes (empty). */
    Optional<Frame> readUntil(Predicate<Frame> wanted) {
        while (true) {
            Optional<Frame> frame = read();
            if (frame.isEmpty() || wanted.test(frame.get())) {
                return frame;
            }
        }
    }

    /** Reads frames until the server closes the connection; fails if it does not within the bound. */
    void readUntilClosed() {
        readUntil(frame -> false);
    }

    @Override
    public void close() {
        raw.close();
    }
}
