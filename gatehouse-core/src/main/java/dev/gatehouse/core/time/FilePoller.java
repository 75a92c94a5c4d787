package dev.gatehouse.core.time;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Objects;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Says when a file changes (a config to reload): every interval it compares the file's stamp with the last one seen and
 * runs {@code changed} when they differ, or {@code gone} when the file cannot be found (once, until
 * it is back). A directory's stamp takes in the stamps of the files directly in it, so a file
 * rewritten in place inside it is a change too. The callbacks run on the scheduler's thread, one at
 * a time.
 */
public final class FilePoller implements AutoCloseable {

    /*
     * Design: polling, not WatchService. A stamp of the file (modification time, size, and the
     * identity of the file the path resolves to) is compared every interval. An editor saving in
     * place changes the time; an atomic rename, and a Kubernetes ConfigMap swapping its symlink,
     * change the identity. Polling sees all three the same way, on any file system, and a failed
     * check costs one stat call. Trade-off: a change is seen up to one interval late.
     */

    private record Stamp(
            long modifiedNanos, long size, @Nullable Object fileKey, long contents) {}

    private final Path file;
    private final long intervalNanos;
    private final Scheduler scheduler;
    private final Runnable changed;
    private final Runnable gone;
    private @Nullable Stamp seen;
    private Scheduler.@Nullable Task next;
    private boolean closed;

    private FilePoller(Path file, long intervalNanos, Scheduler scheduler, Runnable changed, Runnable gone) {
        this.file = file;
        this.intervalNanos = intervalNanos;
        this.scheduler = scheduler;
        this.changed = changed;
        this.gone = gone;
    }

    /**
     * Takes {@code file}'s stamp now and from then on checks it every {@code intervalNanos}: the
     * caller reads the file after this returns, so a change made meanwhile is seen at the next check.
     */
    public static FilePoller start(
            Path file, long intervalNanos, Scheduler scheduler, Runnable changed, Runnable gone) {
        FilePoller poller = new FilePoller(file, intervalNanos, scheduler, changed, gone);
        synchronized (poller) {
            poller.seen = poller.stamp();
            poller.scheduleNext();
        }
        return poller;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel();
        }
    }

    private void check() {
        Stamp stamp = stamp();
        synchronized (this) {
            if (closed) {
                return;
            }
            if (Objects.equals(stamp, seen)) {
                scheduleNext();
                return;
            }
            seen = stamp;
        }
        try {
            if (stamp == null) {
                gone.run();
            } else {
                changed.run();
            }
        } finally { // a callback that throws does not end the polling
            synchronized (this) {
                if (!closed) {
                    scheduleNext();
                }
            }
        }
    }

    private void scheduleNext() {
        next = scheduler.schedule(this::check, intervalNanos);
    }

    private @Nullable Stamp stamp() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(
                    nanos(attributes),
                    attributes.size(),
                    attributes.fileKey(),
                    attributes.isDirectory() ? contents() : 0);
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
    }

    private static long nanos(BasicFileAttributes attributes) {
        Instant modified = attributes.lastModifiedTime().toInstant();
        return modified.getEpochSecond() * 1_000_000_000L + modified.getNano();
    }

    /** A hash of the name, time, size and identity of each file directly in the directory. */
    private long contents() throws IOException {
        long hash = 1;
        try (Stream<Path> entries = Files.list(file)) {
            for (Path entry : entries.sorted().toList()) {
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(entry, BasicFileAttributes.class);
                } catch (IOException e) { // gone meanwhile, or a link to nothing: its name still counts
                    hash = 31 * hash + entry.getFileName().hashCode();
                    continue;
                }
                hash = 31 * hash
                        + Objects.hash(entry.getFileName(), nanos(attributes), attributes.size(), attributes.fileKey());
            }
        }
        return hash;
    }
}
