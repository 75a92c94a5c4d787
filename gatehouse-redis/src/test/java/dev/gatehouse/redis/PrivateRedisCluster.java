package dev.gatehouse.redis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** A Redis Cluster of the test's own: three primaries on free ports, each holding a third of the slots. */
final class PrivateRedisCluster implements AutoCloseable {

    private static final long READY_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final List<PrivateRedis> nodes = new ArrayList<>();

    private PrivateRedisCluster() {}

    static PrivateRedisCluster start() {
        PrivateRedisCluster cluster = new PrivateRedisCluster();
        try {
            Path directory = Files.createTempDirectory("gatehouse-cluster");
            for (int i = 0; i < 3; i++) {
                cluster.nodes.add(PrivateRedis.start(
                        "--cluster-enabled", "yes",
                        "--cluster-config-file",
                                directory.resolve("nodes-" + i + ".conf").toString(),
                        "--dir", directory.toString()));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            cluster.nodes.forEach(node -> create.add("127.0.0.1:" + node.port()));
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            run(create);
            cluster.awaitSlotsCovered();
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw new IllegalStateException("cannot start a private Redis Cluster: " + e.getMessage(), e);
        }
    }

    List<String> urls() {
        return nodes.stream().map(PrivateRedis::url).toList();
    }

    private void awaitSlotsCovered() throws IOException {
        long deadline = System.nanoTime() + READY_DEADLINE_NANOS;
        for (PrivateRedis node : nodes) {
            while (!run(List.of("redis-cli", "-p", Integer.toString(node.port()), "cluster", "info"))
                    .contains("cluster_state:ok")) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("cluster not ok within 20 s on port " + node.port());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    private static String run(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(20, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    @Override
    public void close() {
        nodes.forEach(PrivateRedis::close);
    }
}
