package dev.gatehouse.rate;

import dev.gatehouse.core.time.Scheduler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the key config file when it changes, and hands the new rules on. A file that does not
 * parse is logged with the reason and the rules in force are kept.
 */
public final class KeyConfigWatcher implements AutoCloseable {

    /*
     * Design: polling, not WatchService. A stamp of the file (modification time, size, and the
     * identity of the file the path resolves to) is compared every interval. An editor saving in
     * place changes the time; an atomic rename, and a Kubernetes ConfigMap swapping its symlink,
     * change the identity. Polling sees all three the same way, on any file system, and a failed
     * check costs one stat call. Trade-off: a change is seen up to one interval late.
     */

    private static final Logger LOG = LoggerFactory.getLogger(KeyConfigWatcher.class);

    private record Stamp(long modifiedNanos, long size, Object fileKey) {}

    private final Path file;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder refusedReloads = new LongAdder();
    private final long intervalNanos;
    private final Scheduler scheduler;
    private final Consumer<List<KeyRule>> apply;
    private @Nullable Stamp seen;
    private Scheduler.@Nullable Task next;
    private boolean closed;

    private KeyConfigWatcher(Path file, long intervalNanos, Scheduler scheduler, Consumer<List<KeyRule>> apply) {
        this.file = file;
        this.intervalNanos = intervalNanos;
        this.scheduler = scheduler;
        this.apply = apply;
    }

    /**
     * Reads {@code file} now (throwing {@link IllegalArgumentException} if it is bad), hands its rules
     * to {@code apply}, and from then on checks it every {@code intervalNanos}.
     */
    public static KeyConfigWatcher start(
            Path file, long intervalNanos, Scheduler scheduler, Consumer<List<KeyRule>> apply) {
        KeyConfigWatcher watcher = new KeyConfigWatcher(file, intervalNanos, scheduler, apply);
        Stamp stamp = watcher.stamp();
        apply.accept(KeyRules.read(file));
        synchronized (watcher) {
            watcher.seen = stamp;
            watcher.scheduleNext();
        }
        return watcher;
    }

    /** Changes of the file applied so far. */
    public long reloads() {
        return reloads.sum();
    }

    /** Changes of the file refused so far (the rules in force were kept). */
    public long refusedReloads() {
        return refusedReloads.sum();
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
        if (stamp == null) {
            LOG.warn("key config {} is gone; keeping the rules in force", file);
        } else {
            try {
                List<KeyRule> rules = KeyRules.read(file);
                apply.accept(rules);
                reloads.increment();
                LOG.atInfo().addKeyValue("rules", rules.size()).log("key config {} reloaded", file);
            } catch (IllegalArgumentException e) {
                refusedReloads.increment();
                LOG.warn("key config not reloaded, keeping the rules in force: {}", e.getMessage());
            }
        }
        synchronized (this) {
            if (!closed) {
                scheduleNext();
            }
        }
    }

    private void scheduleNext() {
        next = scheduler.schedule(this::check, intervalNanos);
    }

    private @Nullable Stamp stamp() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            Instant modified = attributes.lastModifiedTime().toInstant();
            return new Stamp(
                    modified.getEpochSecond() * 1_000_000_000L + modified.getNano(),
                    attributes.size(),
                    attributes.fileKey());
        } catch (IOException e) {
            return null;
        }
    }
}
