package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.RequiredServices;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nginx (nginx-light) in front of the gateway, on a free port of 127.0.0.1, its files in a
 * test's directory: the {@code http} block's servers come from the test.
 */
final class TestNginx implements AutoCloseable {

    private static final List<Path> NGINX = List.of(Path.of("/usr/sbin/nginx"), Path.of("/usr/bin/nginx"));

    private final Process process;
    private final int port;

    private TestNginx(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * nginx serving {@code servers} (the {@code server} blocks of its {@code http} block, with
     * {@code %1$s} for {@code dir} and {@code %2$d} for the port it listens on).
     */
    static TestNginx start(Path dir, String servers) throws IOException, InterruptedException {
        Optional<Path> executable = NGINX.stream().filter(Files::isExecutable).findFirst();
        if (executable.isEmpty()) {
            RequiredServices.missing("nginx (apt-get install nginx-light; .ci/run installs it)");
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path conf = dir.resolve("nginx.conf");
        Files.writeString(conf, """
                worker_processes 1;
                pid %1$s/nginx.pid;
                events { worker_connections 256; }
                http {
                  access_log off;
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                """.formatted(dir) + servers.formatted(dir, port) + "}\n");
        dir.toFile().setReadable(true, false);
        Process process = new ProcessBuilder(
                        executable.orElseThrow().toString(),
                        "-e",
                        dir.resolve("error.log").toString(),
                        "-p",
                        dir.toString(),
                        "-c",
                        conf.toString(),
                        "-g",
                        "daemon off;")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("nginx.out").toFile())
                .start();
        TestNginx nginx = new TestNginx(process, port);
        nginx.awaitListening(dir);
        return nginx;
    }

    int port() {
        return port;
    }

    /** Waits (bounded) until nginx accepts connections. */
    private void awaitListening(Path dir) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException notYet) {
                assertThat(process.isAlive())
                        .as(
                                "nginx runs: %s",
                                Files.exists(dir.resolve("nginx.out"))
                                        ? Files.readString(dir.resolve("nginx.out"))
                                        : "")
                        .isTrue();
                assertThat(System.nanoTime()).as("nginx listening within 20 s").isLessThan(deadline);
                Thread.sleep(50); // polling a process that starts; no virtual time to advance
            }
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
