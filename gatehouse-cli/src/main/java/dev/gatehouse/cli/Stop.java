package dev.gatehouse.cli;

import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/** How a long-running command ends: when the process is asked to stop, it closes what it runs. */
final class Stop {

    private Stop() {}

    /**
     * Closes {@code running} when the process is stopped (SIGTERM, SIGINT) and only returns then, with
     * exit code 0: a stop asked for that drained cleanly is a success, not 143.
     */
    static int awaitStop(AutoCloseable running) {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                running.close();
                            } catch (Exception e) { // a bug: the process still exits
                                LoggerFactory.getLogger(Stop.class).error("stopping failed", e);
                            }
                            stopped.countDown();
                            Runtime.getRuntime().halt(0);
                        },
                        "gatehouse-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
