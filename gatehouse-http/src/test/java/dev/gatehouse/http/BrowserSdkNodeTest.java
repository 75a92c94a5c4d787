package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gatehouse.testing.RequiredServices;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The browser SDK's own tests ({@code clients/js/test}, node's test runner) as part of the suite:
 * the SDK is packaged into this module's jar for every surface's pages, so a change that breaks it
 * fails this module's build. They need Node.js 20 or newer on the PATH ({@code .ci/run} installs it).
 */
final class BrowserSdkNodeTest {

    private static final Path SDK = Path.of("..", "clients", "js");
    private static final long BOUND_SECONDS = 120;
    private static final int MIN_NODE_MAJOR = 20;

    @Test
    void theSdksNodeTestsPass() throws Exception {
        int major = nodeMajorVersion();
        if (major < MIN_NODE_MAJOR) {
            RequiredServices.missing("Node.js " + MIN_NODE_MAJOR + " or newer on the PATH (found "
                    + (major < 0 ? "none" : "major version " + major) + "), which runs clients/js's tests");
        }
        Process tests = new ProcessBuilder("node", "--test", "test/")
                .directory(SDK.toFile())
                .redirectErrorStream(true)
                .start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().start(() -> copy(tests.getInputStream(), output));
        if (!tests.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
            tests.destroyForcibly();
            fail("node --test did not finish within " + BOUND_SECONDS + " s");
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        String report = output.toString(StandardCharsets.UTF_8);
        assertThat(tests.exitValue()).as(report).isZero();
        assertThat(report).as(report).contains("# fail 0").doesNotContain("# pass 0");
    }

    /** The major version of the {@code node} on the PATH; -1 when there is none. */
    private static int nodeMajorVersion() throws InterruptedException {
        try {
            Process version = new ProcessBuilder("node", "--version")
                    .redirectErrorStream(true)
                    .start();
            if (!version.waitFor(10, TimeUnit.SECONDS)) {
                version.destroyForcibly();
                return -1;
            }
            String text = new String(version.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return text.matches("v\\d+\\..*") ? Integer.parseInt(text.substring(1, text.indexOf('.'))) : -1;
        } catch (IOException e) {
            return -1; // no node on the PATH
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            out.writeBytes(("\n(reading node's output failed: " + e + ")").getBytes(StandardCharsets.UTF_8));
        }
    }
}
