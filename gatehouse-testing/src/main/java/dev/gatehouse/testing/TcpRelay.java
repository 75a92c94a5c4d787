package dev.gatehouse.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 to a server (a store), which a test can {@link #cut}: from then on every
 * connection through it is closed and new ones are refused, as when the store goes down. Shared with
 * other modules' tests.
 */
public final class TcpRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    private TcpRelay(ServerSocket listener, InetSocketAddress target) {
        this.listener = listener;
        this.target = target;
    }

    /** A relay to the host and port of {@code url} (such as {@code redis://127.0.0.1:6379}), relaying at once. */
    public static TcpRelay to(String url) {
        URI uri = URI.create(url);
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("url: " + url + " (expected: a host and a port)");
        }
        try {
            TcpRelay relay = new TcpRelay(
                    new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                    new InetSocketAddress(uri.getHost(), uri.getPort()));
            Thread.ofVirtual().name("relay-accept").start(relay::accept);
            return relay;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port the relay listens on, on 127.0.0.1. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Closes every connection through the relay and refuses new ones. */
    public void cut() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(this::closeQuietly);
    }

    @Override
    public void close() {
        cut();
    }

    private void accept() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // the listener was closed: cut
            }
            open.add(client);
            try {
                Socket server = new Socket(target.getAddress(), target.getPort());
                open.add(server);
                if (listener.isClosed()) { // cut while this one was being made
                    cut();
                    return;
                }
                Thread.ofVirtual().name("relay-up").start(() -> copy(client, server));
                Thread.ofVirtual().name("relay-down").start(() -> copy(server, client));
            } catch (IOException e) {
                closeQuietly(client); // the server refused: so does the relay, to this client
            }
        }
    }

    private void copy(Socket from, Socket to) {
        byte[] buffer = new byte[8192];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int read; (read = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, read);
            }
        } catch (IOException ignored) {
            // one side closed: so does the other, below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket socket) {
        open.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closed already
        }
    }
}
