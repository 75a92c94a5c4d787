package dev.gatehouse.cli;

import dev.gatehouse.waitingroom.draw.Beacon;
import dev.gatehouse.waitingroom.draw.DrawCheckException;
import dev.gatehouse.waitingroom.draw.DrawRecord;
import dev.gatehouse.waitingroom.draw.DrawVerifier;
import dev.gatehouse.waitingroom.draw.TicketList;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse verify}: checks a fair draw's files offline — the draw record's signature, VRF proof
 * and beacon timing, a ticket's inclusion proof, the commit record, and every position from the ticket
 * list — from files or http(s) URLs.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.class,
        sortOptions = false,
        description = {
            "Checks a draw (gatehouse/draw/v1) from its files: the record's signature, the VRF proof, the beacon",
            "timing; with --ticket and --proof that the ticket was committed; with --tickets every position;",
            "with --commit that the draw is the one committed to. Each FILE is a path or an http(s) URL.",
            "Exit 0 when everything checks out; 1 and 'FAILED: <what>' when something does not; 2 on a usage error.",
            "",
            "What is not proven: the beacon value is checked for timing, not authenticity (compare it with the",
            "beacon's own published value); committed_at is the operator's claim unless the commit record was",
            "published where others saw it in time."
        })
final class VerifyCommand implements Callable<Integer> {

    private static final Pattern KEY = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_DOCUMENT_BYTES = 64 * 1024;
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(30);

    @Option(names = "--record", required = true, paramLabel = "FILE", description = "The signed draw record")
    private String record = "";

    @Option(names = "--ticket", paramLabel = "ID", description = "A ticket id (32 lowercase hex)")
    private @Nullable String ticket;

    @Option(names = "--proof", paramLabel = "FILE", description = "The ticket's inclusion proof")
    private @Nullable String proof;

    @Option(names = "--tickets", paramLabel = "FILE", description = "The ticket list: recompute every position")
    private @Nullable String tickets;

    @Option(names = "--commit", paramLabel = "FILE", description = "The signed commit record published before the draw")
    private @Nullable String commit;

    @Option(
            names = "--signing-key",
            paramLabel = "HEX",
            description = "The room's known signing key (64 lowercase hex)")
    private @Nullable String signingKey;

    @CommandLine.Spec
    private CommandLine.Model.@Nullable CommandSpec spec;

    private final PrintWriter out;

    VerifyCommand(PrintWriter out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        checkUsage();
        try {
            DrawRecord drawn = DrawVerifier.checkRecord(
                    read("--record", record, MAX_DOCUMENT_BYTES),
                    signingKey,
                    commit == null ? null : read("--commit", commit, MAX_DOCUMENT_BYTES));
            out.println("record: ok (room " + quoted(drawn.commit().room()) + ", "
                    + drawn.commit().size()
                    + " tickets, drawn at " + Instant.ofEpochSecond(drawn.drawnAt()) + ", signed by "
                    + drawn.signingPublicKey() + ")");
            if (commit != null) {
                out.println("commit: ok (the same room, root, size, keys and beacon, committed at "
                        + Instant.ofEpochSecond(drawn.commit().committedAt()) + ")");
            }
            out.println("vrf: ok (output " + drawn.output().substring(0, 16) + "…)");
            Beacon beacon = drawn.commit().beacon();
            if (beacon != null) {
                out.println("beacon: ok (round " + beacon.round() + " of " + quoted(beacon.chain())
                        + " is published at "
                        + Instant.ofEpochSecond(beacon.roundTime()) + ", after the commit; its value is not checked"
                        + " against the beacon)");
            }
            if (ticket != null && proof != null) {
                long index = DrawVerifier.checkInclusion(drawn, ticket, read("--proof", proof, MAX_DOCUMENT_BYTES));
                out.println("ticket " + ticket + ": included (leaf " + index + " of "
                        + drawn.commit().size() + ")");
            }
            if (tickets != null) {
                List<String> order = DrawVerifier.checkTickets(
                        drawn, read("--tickets", tickets, Math.toIntExact(TicketList.MAX_FILE_BYTES)));
                out.println("positions: ok (" + order.size() + " tickets)");
                if (ticket != null) {
                    int position = order.indexOf(ticket);
                    if (position < 0) {
                        throw new DrawCheckException("ticket " + ticket + " is not in the ticket list");
                    }
                    out.println("position: " + (position + 1));
                }
            }
            out.flush();
            return 0;
        } catch (DrawCheckException e) {
            out.println("FAILED: " + e.getMessage());
            out.flush();
            return 1;
        }
    }

    private void checkUsage() {
        if (proof != null && ticket == null) {
            throw usage("--proof needs --ticket (the ticket it proves)");
        }
        if (ticket != null && proof == null && tickets == null) {
            throw usage("--ticket needs --proof (to confirm inclusion) or --tickets (to compute its position)");
        }
        if (ticket != null && !TicketList.isId(ticket)) {
            throw usage("--ticket: \"" + ticket + "\" is not a ticket id (32 lowercase hex characters)");
        }
        if (signingKey != null && !KEY.matcher(signingKey).matches()) {
            throw usage("--signing-key: not 64 lowercase hex characters (a 32-byte Ed25519 public key)");
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(
                java.util.Objects.requireNonNull(spec).commandLine(), message);
    }

    /**
     * The bytes of {@code source} (a path or an http(s) URL), at most {@code limit}, within {@link
     * #FETCH_TIMEOUT} (a named pipe or a device is a file too); a file that cannot be had is a failure
     * of the check (an operator may withhold it), not a usage error.
     */
    private static byte[] read(String option, String source, int limit) throws DrawCheckException {
        CompletableFuture<byte[]> reading;
        HttpClient client = null;
        try {
            if (source.startsWith("http://") || source.startsWith("https://")) {
                client = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(10))
                        .followRedirects(HttpClient.Redirect.NORMAL)
                        .build();
                HttpRequest request = HttpRequest.newBuilder(URI.create(source))
                        .timeout(FETCH_TIMEOUT)
                        .GET()
                        .build();
                reading = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream())
                        .thenApply(response -> {
                            if (response.statusCode() != 200) {
                                closeQuietly(response.body());
                                throw new IllegalArgumentException("answered " + response.statusCode());
                            }
                            return bounded(response.body(), limit);
                        });
            } else {
                Path path = Path.of(source);
                reading = CompletableFuture.supplyAsync(() -> {
                    try {
                        return bounded(Files.newInputStream(path), limit);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
            return reading.get(FETCH_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw cannotRead(option, source, "nothing whole within " + FETCH_TIMEOUT.toSeconds() + " s");
        } catch (ExecutionException e) {
            throw cannotRead(option, source, describe(e.getCause() == null ? e : e.getCause()));
        } catch (IllegalArgumentException e) {
            throw cannotRead(option, source, describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cannotRead(option, source, "interrupted");
        } finally {
            if (client != null) {
                client.shutdownNow();
            }
        }
    }

    /** At most {@code limit} bytes of {@code in}, which is closed; more is a failure. */
    private static byte[] bounded(InputStream in, int limit) {
        try (in) {
            byte[] bytes = in.readNBytes(limit + 1);
            if (bytes.length > limit) {
                throw new IllegalArgumentException("larger than " + limit + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // the answer is refused anyway
        }
    }

    private static DrawCheckException cannotRead(String option, String source, String why) {
        return new DrawCheckException(option.substring(2) + ": cannot read " + quoted(source) + " (" + why + ")");
    }

    /** What went wrong, in words a reader can act on and with nothing a server sent able to move the cursor. */
    private static String describe(Throwable failure) {
        Throwable cause = failure instanceof UncheckedIOException unchecked && unchecked.getCause() != null
                ? unchecked.getCause()
                : failure;
        return switch (cause) {
            case NoSuchFileException e -> "no such file";
            case AccessDeniedException e -> "permission denied";
            case ConnectException e -> "connection refused";
            case HttpTimeoutException e -> "timed out";
            default -> {
                String message = cause.getMessage();
                String text = message == null || message.isBlank() ? "I/O error" : message;
                String shown = quoted(text.length() > 200 ? text.substring(0, 200) + "…" : text);
                yield shown.substring(1, shown.length() - 1);
            }
        };
    }

    /**
     * {@code text} between quotes with every character that could move the terminal's cursor or
     * forge a line of this output escaped: the operator chose it, and the operator is who is checked.
     */
    static String quoted(String text) {
        StringBuilder quoted = new StringBuilder("\"");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == '"' || c == '\\') {
                quoted.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
