package dev.gatehouse.testing.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.testing.RequiredServices;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A headless Chromium driven over the DevTools protocol (a WebSocket, JDK client only), that may
 * reach 127.0.0.1 and nothing else: every other host name resolves to nothing.
 */
public final class HeadlessChromium implements AutoCloseable {

    /** How long starting, one command or one page may take: a liveness bound, not a measured time. */
    public static final Duration BOUND = Duration.ofSeconds(30);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DEVTOOLS_URL = Pattern.compile("DevTools listening on (ws://\\S+)");
    /** DevTools' words for a command that found the page's document gone: it navigated meanwhile. */
    private static final Pattern NAVIGATED = Pattern.compile(
            "Inspected target navigated or closed|Execution context was destroyed|Cannot find (default )?(execution )?context"
                    + "|Promise was collected");

    private static final List<String> EXECUTABLES =
            List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");

    private final Process process;
    private final WebSocket socket;
    private final Deque<String> output;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<JsonNode> events = new CopyOnWriteArrayList<>();

    private HeadlessChromium(Process process, WebSocket socket, Deque<String> output, Listener listener) {
        this.process = process;
        this.socket = socket;
        this.output = output;
        listener.owner = this;
    }

    /** The Chromium of this machine, if one is installed where Debian and Ubuntu put it. */
    public static Optional<Path> executable() {
        return EXECUTABLES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    }

    /**
     * {@link #executable()}, which a test needs: when there is none, the test fails under {@code
     * CI=true} and is skipped elsewhere ({@link RequiredServices#missing}).
     */
    public static Path required() {
        Optional<Path> chromium = executable();
        if (chromium.isEmpty()) {
            RequiredServices.missing("Chromium (apt-get install chromium; .ci/run installs it)");
        }
        return chromium.orElseThrow();
    }

    public static HeadlessChromium start(Path executable, Path profile) {
        List<String> command = List.of(
                executable.toString(),
                "--headless",
                "--no-sandbox", // tests run as root on CI, where Chromium's sandbox refuses to start
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-extensions",
                "--disable-sync",
                "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
                "--metrics-recording-only",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                "--remote-debugging-port=0",
                "--user-data-dir=" + profile,
                "about:blank");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + executable, e);
        }
        Deque<String> output = new ArrayDeque<>();
        CompletableFuture<String> devtools = new CompletableFuture<>();
        Thread reader = new Thread(() -> readOutput(process, output, devtools), "chromium-output");
        reader.setDaemon(true);
        reader.start();
        try {
            String url = devtools.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            Listener listener = new Listener();
            WebSocket socket = HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .connectTimeout(BOUND)
                    .buildAsync(URI.create(url), listener)
                    .get(BOUND.toSeconds(), TimeUnit.SECONDS);
            return new HeadlessChromium(process, socket, output, listener);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IllegalStateException("Chromium did not offer DevTools; its output: " + snapshot(output), e);
        }
    }

    private static void readOutput(Process process, Deque<String> output, CompletableFuture<String> devtools) {
        try (BufferedReader in =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                synchronized (output) {
                    output.addLast(line);
                    if (output.size() > 200) {
                        output.removeFirst();
                    }
                }
                Matcher matcher = DEVTOOLS_URL.matcher(line);
                if (matcher.find()) {
                    devtools.complete(matcher.group(1));
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        devtools.completeExceptionally(new IllegalStateException("Chromium exited"));
    }

    private static String snapshot(Deque<String> output) {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    /** A new tab, attached: commands and events of its own session. */
    public Page newPage() {
        JsonNode target = send(null, "Target.createTarget", Map.of("url", "about:blank"));
        String targetId = target.get("targetId").asText();
        JsonNode attached = send(null, "Target.attachToTarget", Map.of("targetId", targetId, "flatten", true));
        return new Page(this, targetId, attached.get("sessionId").asText());
    }

    /**
     * A new tab in a browser context of its own: its cookies and storage apart from every other
     * tab's, as a second browser's would be.
     */
    public Page newSeparatePage() {
        String context = send(null, "Target.createBrowserContext", Map.of())
                .get("browserContextId")
                .asText();
        JsonNode target = send(null, "Target.createTarget", Map.of("url", "about:blank", "browserContextId", context));
        String targetId = target.get("targetId").asText();
        JsonNode attached = send(null, "Target.attachToTarget", Map.of("targetId", targetId, "flatten", true));
        return new Page(this, targetId, attached.get("sessionId").asText());
    }

    public JsonNode send(@Nullable String sessionId, String method, Map<String, ?> params) {
        int id = ids.incrementAndGet();
        ObjectNode message = JSON.createObjectNode();
        message.put("id", id);
        message.put("method", method);
        message.set("params", JSON.valueToTree(params));
        if (sessionId != null) {
            message.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        try {
            synchronized (socket) {
                socket.sendText(message.toString(), true).get(BOUND.toSeconds(), TimeUnit.SECONDS);
            }
            JsonNode reply = answer.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            if (reply.has("error")) {
                String error = method + ": " + reply.get("error");
                throw NAVIGATED.matcher(error).find() ? new PageReplaced(error) : new IllegalStateException(error);
            }
            return reply.get("result");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(method + " unanswered; Chromium's output: " + snapshot(output), e);
        } finally {
            pending.remove(id);
        }
    }

    /** The events received so far for {@code sessionId}. */
    public List<JsonNode> events(String sessionId) {
        return events.stream()
                .filter(event -> sessionId.equals(event.path("sessionId").asText()))
                .toList();
    }

    /** Waits until an event of {@code sessionId} matches {@code condition} (checked as events arrive). */
    public void awaitEvent(String sessionId, Predicate<JsonNode> condition, String what) {
        awaitEvents(sessionId, condition, 1, what);
    }

    /** Waits until {@code count} events of {@code sessionId}, received so far in all, match {@code condition}. */
    public void awaitEvents(String sessionId, Predicate<JsonNode> condition, long count, String what) {
        long deadline = System.nanoTime() + BOUND.toNanos();
        synchronized (events) {
            while (events(sessionId).stream().filter(condition).count() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("no " + what + " within " + BOUND);
                }
                try {
                    events.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    private void received(String text) {
        JsonNode message;
        try {
            message = JSON.readTree(text);
        } catch (IOException e) {
            return;
        }
        if (message.has("id")) {
            CompletableFuture<JsonNode> answer = pending.get(message.get("id").asInt());
            if (answer != null) {
                answer.complete(message);
            }
        } else {
            synchronized (events) {
                events.add(message);
                events.notifyAll();
            }
        }
    }

    @Override
    public void close() {
        socket.abort();
        process.destroy();
        try {
            if (!process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    /** One tab of the browser. */
    public record Page(HeadlessChromium browser, String targetId, String sessionId) {

        public JsonNode send(String method, Map<String, ?> params) {
            return browser.send(sessionId, method, params);
        }

        /** Opens {@code url} with network, console and log events recorded, and waits for its load event. */
        public void open(String url) {
            send("Network.enable", Map.of());
            send("Network.setCacheDisabled", Map.of("cacheDisabled", true));
            send("Runtime.enable", Map.of());
            send("Log.enable", Map.of());
            send("Page.enable", Map.of());
            Predicate<JsonNode> load =
                    event -> "Page.loadEventFired".equals(event.path("method").asText());
            long loaded = browser.events(sessionId).stream().filter(load).count();
            send("Page.navigate", Map.of("url", url));
            // this navigation's load: a page opened before left its own load event in the record
            browser.awaitEvents(sessionId, load, loaded + 1, "load event of " + url);
        }

        /**
         * Reads {@code expression} (a promise is awaited) in the page's current document and answers
         * its value; read again in the next document when the page navigates meanwhile. So {@code
         * expression} may run twice: for one that acts (a click, a submit, a request) use {@link #act}.
         */
        public JsonNode evaluate(String expression) {
            long deadline = System.nanoTime() + BOUND.toNanos();
            while (true) {
                try {
                    return act(expression);
                } catch (PageReplaced replaced) {
                    if (System.nanoTime() - deadline > 0) {
                        throw replaced;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // the next document is loading
                }
            }
        }

        /**
         * Runs {@code expression} once (a promise is awaited) and answers its value; {@link
         * PageReplaced} when the page navigated meanwhile, whether or not it ran.
         */
        public JsonNode act(String expression) {
            JsonNode result = send(
                    "Runtime.evaluate", Map.of("expression", expression, "awaitPromise", true, "returnByValue", true));
            if (result.has("exceptionDetails")) {
                throw new IllegalStateException(expression + " threw " + result.get("exceptionDetails"));
            }
            return result.path("result").path("value");
        }

        /**
         * The page's text once {@code done} holds of it (a page that navigates by itself is asked
         * again until then), or the last text seen after {@link #BOUND}.
         */
        public String awaitText(java.util.function.Predicate<String> done) {
            long deadline = System.nanoTime() + BOUND.toNanos();
            String text = "";
            while (System.nanoTime() < deadline) {
                text = evaluate("new Promise(r => setTimeout(() => r(document.body ? document.body.innerText"
                                + " : ''), 100))")
                        .asText()
                        .strip();
                if (done.test(text)) {
                    return text;
                }
            }
            return text;
        }

        public List<JsonNode> events(String method) {
            return browser.events(sessionId).stream()
                    .filter(event -> method.equals(event.path("method").asText()))
                    .map(event -> event.path("params"))
                    .toList();
        }

        public void close() {
            browser.send(null, "Target.closeTarget", Map.of("targetId", targetId));
        }
    }

    /** A command that found the page's document replaced by a navigation while it was carried out. */
    public static final class PageReplaced extends IllegalStateException {

        private static final long serialVersionUID = 1L;

        PageReplaced(String message) {
            super(message);
        }
    }

    /** Collects a message's fragments and hands whole messages to the browser. */
    private static final class Listener implements WebSocket.Listener {

        private final StringBuilder partial = new StringBuilder();
        private volatile @Nullable HeadlessChromium owner;

        @Override
        public @Nullable CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                HeadlessChromium browser = owner;
                if (browser != null) { // set before anything is asked, so before any answer
                    browser.received(text);
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}
