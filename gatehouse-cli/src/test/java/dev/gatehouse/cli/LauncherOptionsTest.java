package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JVM options {@code ./gatehouse} (and the load benchmarks) add for the JDK they run on
 * ({@code gatehouse_runtime_opts} in {@code .mvn/jdk.sh}): from JDK 23 on, sun.misc.Unsafe's memory
 * access allowed, without which Netty leaves Unsafe alone on JDK 25; before 23 the option does not
 * exist and would stop the JVM.
 */
final class LauncherOptionsTest {

    private static final Path JDK_SH = Path.of("..", ".mvn", "jdk.sh").toAbsolutePath();

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "21.0.8|''",
                "22.0.2|''",
                "23.0.1|--sun-misc-unsafe-memory-access=allow",
                "25.0.3|--sun-misc-unsafe-memory-access=allow",
                "26-ea|--sun-misc-unsafe-memory-access=allow"
            })
    void unsafeMemoryAccessIsAllowedFromJdk23On(String version, String expected, @TempDir Path jdk)
            throws IOException, InterruptedException {
        Files.writeString(jdk.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"" + version + "\"\n");

        assertThat(runtimeOptions(jdk)).isEqualTo(expected);
    }

    private static String runtimeOptions(Path jdk) throws IOException, InterruptedException {
        Process shell = new ProcessBuilder(
                        "sh", "-c", ". \"$0\"; gatehouse_runtime_opts \"$1\"", JDK_SH.toString(), jdk.toString())
                .redirectErrorStream(true)
                .start();
        String out = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(shell.waitFor()).as(out).isZero();
        return out;
    }
}
