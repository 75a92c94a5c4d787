package dev.gatehouse.rate;

import dev.gatehouse.core.time.FilePoller;
import dev.gatehouse.core.time.Scheduler;
import java.nio.file.Path;
import java.util.List;
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

    private static final Logger LOG = LoggerFactory.getLogger(KeyConfigWatcher.class);

    private final Path file;
    private final LongAdder reloads = new LongAdder();
    private final LongAdder refusedReloads = new LongAdder();
    private final Consumer<List<KeyRule>> apply;
    private volatile @Nullable FilePoller poller;

    private KeyConfigWatcher(Path file, Consumer<List<KeyRule>> apply) {
        this.file = file;
        this.apply = apply;
    }

    /**
     * Reads {@code file} now (throwing {@link IllegalArgumentException} if it is bad), hands its rules
     * to {@code apply}, and from then on checks it every {@code intervalNanos}.
     */
    public static KeyConfigWatcher start(
            Path file, long intervalNanos, Scheduler scheduler, Consumer<List<KeyRule>> apply) {
        KeyConfigWatcher watcher = new KeyConfigWatcher(file, apply);
        FilePoller poller = FilePoller.start(
                file,
                intervalNanos,
                scheduler,
                watcher::reload,
                () -> LOG.warn("key config {} is gone; keeping the rules in force", file));
        try {
            apply.accept(KeyRules.read(file));
        } catch (RuntimeException e) {
            poller.close();
            throw e;
        }
        watcher.poller = poller;
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
    public void close() {
        if (poller != null) {
            poller.close();
        }
    }

    private void reload() {
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
}
