package dev.gatehouse.gateway;

import dev.gatehouse.testing.http.CapturedLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A test of gateways in front of a {@link TestUpstream}, started anew for each test, that checks no
 * ERROR line or stack trace was logged meanwhile (by anything in the process: no client's doing may
 * cause one).
 */
abstract class ProxiedGatewayTest {

    protected TestUpstream upstream;
    protected CapturedLog log;

    @BeforeEach
    final void startUpstream() {
        upstream = TestUpstream.start();
        log = CapturedLog.start();
    }

    @AfterEach
    final void stopUpstream() {
        try {
            log.assertNoErrorOrStackTrace();
        } finally {
            log.close();
            upstream.close();
        }
    }

    /** A gateway {@code yaml} configures further, proxying to the upstream under its path {@code /base}. */
    protected TestGateway gateway(String yaml) {
        return TestGateway.start("upstream: " + upstream.url() + "/base\n" + yaml);
    }
}
