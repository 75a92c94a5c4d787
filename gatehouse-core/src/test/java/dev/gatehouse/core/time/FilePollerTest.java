package dev.gatehouse.core.time;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A config file's changes, as editors and orchestrators make them, seen at the next check. */
final class FilePollerTest {

    private static final long INTERVAL = Duration.ofMillis(500).toNanos();

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final AtomicInteger changes = new AtomicInteger();
    private final AtomicInteger gone = new AtomicInteger();

    private @Nullable FilePoller poller;

    private void poll(Path file) {
        poller = FilePoller.start(file, INTERVAL, clock, changes::incrementAndGet, gone::incrementAndGet);
    }

    @AfterEach
    void close() {
        if (poller != null) {
            poller.close();
        }
    }

    @Test
    void anEditInPlaceIsSeenAtTheNextCheckAndOnlyOnce() throws IOException {
        Path file = write("config.yml", "a: 1\n", 1_000);
        poll(file);
        clock.advanceNanos(INTERVAL);
        assertThat(changes).hasValue(0);

        write("config.yml", "a: 22\n", 2_000);
        clock.advanceNanos(INTERVAL);
        clock.advanceNanos(INTERVAL);

        assertThat(changes).hasValue(1);
    }

    /** A directory of configs: a file in it edited in place changes nothing of the directory's own entry. */
    @Test
    void aFileEditedInPlaceInsideAPolledDirectoryIsAChange() throws IOException {
        Path configs = Files.createDirectory(dir.resolve("configs"));
        Path file = Files.writeString(configs.resolve("a.yaml"), "a: 1\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000));
        Files.setLastModifiedTime(configs, FileTime.fromMillis(1_000));
        poll(configs);
        clock.advanceNanos(INTERVAL);
        assertThat(changes).hasValue(0);

        Files.writeString(file, "a: 22\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(2_000));
        Files.setLastModifiedTime(configs, FileTime.fromMillis(1_000)); // the directory's entry unchanged
        clock.advanceNanos(INTERVAL);

        assertThat(changes).hasValue(1);
    }

    @Test
    void anAtomicRenameIsSeenEvenWithTheSameTimeAndSize() throws IOException {
        Path file = write("config.yml", "a: 1\n", 1_000);
        poll(file);
        Path next = write("config.yml.tmp", "a: 2\n", 1_000); // same size, same time: another file
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

        clock.advanceNanos(INTERVAL);

        assertThat(changes).hasValue(1);
    }

    @Test
    void aDeletedFileIsReportedOnceAndItsReturnIsAChange() throws IOException {
        Path file = write("config.yml", "a: 1\n", 1_000);
        poll(file);
        Files.delete(file);
        clock.advanceNanos(INTERVAL);
        clock.advanceNanos(INTERVAL);
        assertThat(gone).hasValue(1);

        write("config.yml", "a: 1\n", 3_000);
        clock.advanceNanos(INTERVAL);

        assertThat(changes).hasValue(1);
    }

    @Test
    void nothingRunsAfterClose() throws IOException {
        Path file = write("config.yml", "a: 1\n", 1_000);
        poll(file);
        requireNonNull(poller).close();

        write("config.yml", "a: 22\n", 2_000);
        clock.advanceNanos(INTERVAL);

        assertThat(changes).hasValue(0);
        assertThat(clock.pendingTasks()).isZero();
    }

    private Path write(String name, String text, long modifiedSecond) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(modifiedSecond)));
        return file;
    }
}
