package dev.gatehouse.spring;

import dev.gatehouse.core.gate.AdmissionGate;
import dev.gatehouse.proof.pow.Challenge;
import dev.gatehouse.proof.pow.PowVerdict;
import dev.gatehouse.proof.pow.ProofOfWork;
import dev.gatehouse.servlet.GatehouseFilter;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Asks a proof of work of every request under the protected paths: a request carrying a solution to
 * one of this application's challenges ({@code X-Gatehouse-Pow-Id}, {@code X-Gatehouse-Pow-Nonce})
 * goes on, and the solution is spent (once across the instances sharing the store); any other is
 * answered {@code 428} with a fresh challenge, in the shape the waiting room and the gateway give it
 * (so the browser SDK's solver takes it), and the reason a solution given was refused. When the
 * record of spent solutions cannot answer, {@code 503} with {@code Retry-After: 1}.
 */
final class ProofOfWorkFilter implements Filter {

    /** Hears what the filter did, for metrics. */
    interface Listener {
        /** A challenge was issued. */
        void issued();

        /** A solution was judged: accepted (and spent) or not. */
        void verified(boolean accepted);
    }

    private final ProofOfWork work;
    private final List<String> prefixes;
    private final Listener listener;

    ProofOfWorkFilter(ProofOfWork work, List<String> prefixes, Listener listener) {
        this.work = work;
        this.prefixes = List.copyOf(prefixes);
        this.listener = listener;
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest http)
                || !(response instanceof HttpServletResponse answer)
                || "OPTIONS".equals(http.getMethod()) // a CORS preflight carries no proof; its request will
                || !isProtected(GatehouseFilter.pathWithin(http))) {
            chain.doFilter(request, response);
            return;
        }
        String id = http.getHeader(ProofOfWork.ID_HEADER);
        String nonce = http.getHeader(ProofOfWork.NONCE_HEADER);
        if (id == null || nonce == null) {
            challenge(
                    answer,
                    "This path asks for a proof of work: solve the challenge and send " + ProofOfWork.ID_HEADER
                            + " and " + ProofOfWork.NONCE_HEADER + ".");
            return;
        }
        // the store bounds its own wait (Redis's command timeout): join returns within it
        PowVerdict verdict = work.verifyHex(id, nonce).toCompletableFuture().join();
        if (verdict.accepted()) {
            listener.verified(true);
            chain.doFilter(request, response);
        } else if (verdict == PowVerdict.UNAVAILABLE || verdict == PowVerdict.BUSY) {
            answer.setStatus(503);
            answer.setHeader("Retry-After", "1");
            send(answer, "{\"detail\":\"the record of spent challenges cannot be reached; try again\"}");
        } else {
            listener.verified(false);
            challenge(
                    answer,
                    "The proof of work was refused (" + verdict.name().toLowerCase(Locale.ROOT)
                            + "): solve this challenge and send " + ProofOfWork.ID_HEADER + " and "
                            + ProofOfWork.NONCE_HEADER + ".");
        }
    }

    private boolean isProtected(String path) {
        for (String prefix : prefixes) {
            if (AdmissionGate.covers(prefix, path)) {
                return true;
            }
        }
        return false;
    }

    private void challenge(HttpServletResponse response, String detail) throws IOException {
        Challenge challenge = work.issue(0);
        listener.issued();
        response.setStatus(428);
        response.setHeader("Cache-Control", "no-store");
        // every value is this filter's own: ids are base64url, payloads hex, the detail plain ASCII
        send(
                response,
                "{\"detail\":\"" + detail + "\",\"challenge\":{\"id\":\"" + challenge.id() + "\",\"payload\":\""
                        + challenge.payloadHex() + "\",\"difficulty\":" + challenge.difficulty() + ",\"expires_at\":"
                        + challenge.expiresAtMillis() / 1000 + ",\"algorithm\":\"sha256\"}}");
    }

    private static void send(HttpServletResponse response, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        response.setContentType("application/json");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
