package dev.gatehouse.gateway;

import dev.gatehouse.core.time.FilePoller;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.http.settings.ConfigException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hot reload of the gateway's file: checked every half second (edit in place, atomic rename, a
 * ConfigMap's symlink swap), read whole, and handed to the {@link LivePolicy}. A file that does not
 * read keeps the running config and says why; a change the running gateway cannot apply is named
 * in a {@code restart required for: <sections>} warning.
 */
final class ConfigReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    /** How often the file is checked: a save is applied well within the 2 s the gateway promises. */
    static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final Path file;
    private final LivePolicy policy;
    private final FilePoller poller;

    private ConfigReloader(Path file, LivePolicy policy, Scheduler scheduler) {
        this.file = file;
        this.policy = policy;
        this.poller = FilePoller.start(
                file,
                INTERVAL_NANOS,
                scheduler,
                this::reload,
                () -> LOG.warn("config {} is gone; keeping the running config", file));
    }

    /** Watches {@code file}, which {@code policy} was made from. */
    static ConfigReloader watch(Path file, LivePolicy policy, Scheduler scheduler) {
        return new ConfigReloader(file, policy, scheduler);
    }

    private void reload() {
        GatewayConfig next;
        try {
            next = GatewayConfig.read(file);
        } catch (ConfigException e) { // its problem names the file
            skipped(e.getMessage());
            return;
        }
        LivePolicy.Reload reload;
        try {
            reload = policy.apply(next);
        } catch (ConfigException e) { // a value the file's checks let through and a section refused
            skipped(file + ": " + e.getMessage());
            return;
        } catch (RuntimeException e) { // a bug: the running config stays, and the next change is still read
            LOG.error("reload failed, keeping the running config", e);
            return;
        }
        LOG.atInfo()
                .addKeyValue("applied", String.join(",", reload.applied()))
                .log(
                        "config {} reloaded{}",
                        file,
                        reload.applied().isEmpty()
                                ? " (no live section changed)"
                                : ": " + String.join(", ", reload.applied()));
        if (!reload.restartRequired().isEmpty()) {
            LOG.warn("restart required for: {}", String.join(",", reload.restartRequired()));
        }
    }

    private static void skipped(@Nullable String why) {
        LOG.warn("reload skipped, keeping the running config: {}", why);
    }

    @Override
    public void close() {
        poller.close();
    }
}
