package dev.gatehouse.gateway.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gatehouse.http.HttpLimits;
import dev.gatehouse.http.page.PageLook;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.waitingroom.draw.BeaconChain;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The gateway's file: Wicket's sidecar YAML as it is, with Wicket's defaults and meanings (see
 * {@code docs/gateway.md}), plus Gatehouse's own sections. Every key is read with its type; a key
 * that is not one of them is refused by its path.
 *
 * @param listen where proxied traffic and the admin API are served ({@code :8080})
 * @param upstream the backend, an http or https URL
 * @param adminPrefix the path the admin API is mounted at, starting and ending with {@code /}
 * @param adminListen the private listener of metrics and health
 * @param eventLoops the event loop threads serving connections ({@code event_loops}; 0, the
 *     default: one per CPU)
 */
public record GatewayConfig(
        HostPort listen,
        URI upstream,
        Timeouts timeouts,
        Pow pow,
        Optional<Queue> queue,
        Optional<RateLimit> rateLimit,
        Optional<Breaker> circuitBreaker,
        Store store,
        Metrics metrics,
        Tracing tracing,
        String adminPrefix,
        HostPort adminListen,
        Admission admission,
        Identity identity,
        ForwardAuth forwardAuth,
        Optional<Adaptive> adaptive,
        Optional<WaitingRoom> waitingRoom,
        int eventLoops) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The largest file read: a config, not a data set. */
    private static final long MAX_FILE_BYTES = 1 << 20;

    /** A host and port as Go writes a listen address: {@code :8080}, {@code 127.0.0.1:9090}, {@code [::1]:80}. */
    public record HostPort(String host, int port) {

        static HostPort parse(Section section, String key, String text) {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw section.invalid(
                        key, "\"" + text + "\" is not host:port (expected, say, :8080 or 127.0.0.1:9090)");
            }
            String host = text.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(text.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw section.invalid(key, "\"" + text + "\" has no port number (expected, say, :8080)");
            }
            if (port < 0 || port > 65_535) {
                throw section.invalid(key, "port " + port + " is out of range (expected: 0 to 65535)");
            }
            return new HostPort(host.isEmpty() ? "0.0.0.0" : host, port);
        }
    }

    /**
     * The listener's and the upstream client's time bounds; {@link Duration#ZERO} means off (a
     * negative value in the file), as in Wicket.
     */
    public record Timeouts(
            Duration readHeader,
            Duration read,
            Duration write,
            Duration idle,
            Duration upstreamDial,
            Duration upstreamResponse,
            Duration upstreamKeepalive,
            int upstreamMaxConns,
            Duration upstreamRead) {

        static Timeouts read(Section section) {
            Timeouts timeouts = new Timeouts(
                    timeout(section, "read_header", Duration.ofSeconds(5)),
                    timeout(section, "read", Duration.ofSeconds(30)),
                    timeout(section, "write", Duration.ofSeconds(30)),
                    timeout(section, "idle", Duration.ofSeconds(120)),
                    timeout(section, "upstream_dial", Duration.ofSeconds(5)),
                    timeout(section, "upstream_response", Duration.ofSeconds(30)),
                    timeout(section, "upstream_keepalive", Duration.ofSeconds(90)),
                    (int) positiveOr(section.integer("upstream_max_conns", 0, Integer.MIN_VALUE, 1_000_000), 512),
                    timeout(
                            section,
                            "upstream_read",
                            Duration.ofSeconds(60))); // Gatehouse's, nginx's proxy_read_timeout
            section.done();
            return timeouts;
        }

        /** 0 (or absent): the default; negative: off ({@link Duration#ZERO}). */
        private static Duration timeout(Section section, String key, Duration fallback) {
            Duration given = section.duration(key, Duration.ZERO);
            return given.isZero() ? fallback : given.isNegative() ? Duration.ZERO : given;
        }
    }

    /**
     * Proof-of-work challenges; difficulty in leading zero bits (Wicket's Argon2id difficulty counts
     * zero bytes; the file's value is read as bytes there and turned into bits).
     */
    public record Pow(boolean enabled, String algorithm, int baseDifficulty, int maxDifficulty, int argon2MemoryKib) {

        public static final String SHA256 = "sha256";
        public static final String ARGON2ID = "argon2id";

        static Pow read(Section section) {
            boolean enabled = section.bool("enabled", false);
            String algorithm = section.choice("algorithm", SHA256, List.of(SHA256, ARGON2ID));
            boolean argon2 = algorithm.equals(ARGON2ID);
            long base = positiveOr(section.integer("base_difficulty", 0, Integer.MIN_VALUE, 64), argon2 ? 2 : 16);
            long max = positiveOr(section.integer("max_difficulty", 0, Integer.MIN_VALUE, 64), argon2 ? 4 : 24);
            if (max < base) { // Wicket's correction
                max = base + (argon2 ? 2 : 8);
            }
            long memory = positiveOr(section.integer("argon2_memory_kib", 0, 0, 256 * 1024), 19_456);
            int bitsPerUnit = argon2 ? 8 : 1;
            if (max * bitsPerUnit > 64) {
                throw section.invalid(
                        "max_difficulty",
                        max + (argon2 ? " zero bytes" : " bits") + " is beyond any solver (expected: at most "
                                + 64 / bitsPerUnit + ")");
            }
            section.done();
            return new Pow(enabled, algorithm, (int) base * bitsPerUnit, (int) max * bitsPerUnit, (int) memory);
        }
    }

    /**
     * The admin API's queue and how it admits by itself: {@code admitCount} tickets every {@code
     * admitInterval} (0: never; Wicket's sidecar never admits), at most {@code maxActive} admitted at
     * once (0: no bound), each admitted for {@code admittedFor}. The types {@code vrf} and {@code
     * ecvrf} start as a pre-queue whose order is drawn at the operator's open ({@code
     * gatehouse/draw/v1}) as {@code room}, with the ECVRF secret {@code vrfKey} and the Ed25519 seed
     * {@code signingKey} (64 hex characters each; empty: a random one per process); with a {@code
     * beacon}, the open commits and names the beacon's next round, and the reveal of that round's
     * value draws.
     */
    public record Queue(
            String type,
            long admitCount,
            Duration admitInterval,
            long maxActive,
            Duration admittedFor,
            String room,
            String vrfKey,
            String signingKey,
            @Nullable BeaconChain beacon) {

        private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("[0-9a-fA-F]{64}");

        /** Whether the queue's first order is drawn (vrf, ecvrf) rather than arrival order (fifo). */
        public boolean drawn() {
            return !type.equals("fifo");
        }

        static Optional<Queue> read(Section section) {
            String type = section.choice("type", "", List.of("fifo", "vrf", "ecvrf"));
            section.text("seed", "");
            long count = section.integer("admit_count", 0, 0, 1_000_000);
            Duration interval = section.duration("admit_interval", Duration.ofSeconds(1));
            if (interval.toMillis() < 1_000 || interval.toMillis() % 1_000 != 0 || interval.toSeconds() > 3_600) {
                throw section.invalid("admit_interval", "whole seconds from 1s to 1h");
            }
            long maxActive = section.integer("max_active", 0, 0, 100_000_000);
            Duration admittedFor = section.duration("admitted_for", Duration.ofMinutes(10));
            if (admittedFor.toSeconds() < 60
                    || admittedFor.toSeconds() > 3_600
                    || admittedFor.toMillis() % 1_000 != 0) {
                throw section.invalid("admitted_for", "whole seconds from 1m to 1h");
            }
            String room = section.text("room", "gateway");
            int characters = room.codePointCount(0, room.length());
            if (characters < 1 || characters > 128 || room.indexOf(0) >= 0) {
                throw section.invalid("room", "1 to 128 characters, no U+0000");
            }
            String vrfKey = key(section, "vrf_key");
            String signingKey = key(section, "signing_key");
            if (!vrfKey.isEmpty() && vrfKey.equalsIgnoreCase(signingKey)) {
                throw section.invalid("signing_key", "the same as vrf_key (the draw needs two keys)");
            }
            BeaconChain beacon = beacon(section.section("beacon"));
            section.done();
            if (type.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(
                    new Queue(type, count, interval, maxActive, admittedFor, room, vrfKey, signingKey, beacon));
        }

        private static @Nullable BeaconChain beacon(Section section) {
            if (!section.has("chain") && !section.has("genesis_time") && !section.has("period")) {
                section.done();
                return null;
            }
            String chain = section.text("chain", "");
            long genesisTime = section.integer("genesis_time", -1, 0, (1L << 53) - 1);
            Duration period = section.duration("period", Duration.ZERO);
            section.done();
            if (chain.isEmpty() || chain.codePointCount(0, chain.length()) > 128) {
                throw section.invalid("chain", "the beacon's name, 1 to 128 characters");
            }
            if (genesisTime < 0) {
                throw section.invalid("genesis_time", "required: Unix seconds of the beacon's round 1");
            }
            if (period.toMillis() < 1_000 || period.toMillis() % 1_000 != 0) {
                throw section.invalid("period", "whole seconds, at least 1s");
            }
            return new BeaconChain(chain, genesisTime, period.toSeconds());
        }

        private static String key(Section section, String name) {
            String key = section.text(name, "");
            if (!key.isEmpty() && !KEY.matcher(key).matches()) {
                throw section.invalid(name, "64 hex characters (a 32-byte secret)");
            }
            return key.toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * Per-client token buckets: {@code rps} tokens a second, {@code burst} at most (Wicket: burst
     * below 1 is rps), buckets idle for {@code idleTtl} forgotten (zero: never).
     */
    public record RateLimit(double rps, double burst, Duration idleTtl, Duration sweepInterval, int maxSweepBatch) {

        static Optional<RateLimit> read(Section section) {
            double rps = section.decimal("rps", 0, -Double.MAX_VALUE, 1e9);
            double burst = section.decimal("burst", 0, -Double.MAX_VALUE, 1e9);
            Duration idle = section.duration("idle_ttl", Duration.ZERO);
            Duration idleTtl = idle.isZero() ? Duration.ofMinutes(10) : idle.isNegative() ? Duration.ZERO : idle;
            Duration sweep = section.duration("sweep_interval", Duration.ZERO);
            long maxSweepBatch = section.integer("max_sweep_batch", 0, 0, Integer.MAX_VALUE);
            section.done();
            if (rps <= 0) {
                return Optional.empty(); // Wicket: no rps, no limiter
            }
            if (sweep.isNegative() || sweep.isZero()) {
                sweep = idleTtl.dividedBy(10);
                if (sweep.isZero() || sweep.compareTo(Duration.ofMinutes(1)) > 0) {
                    sweep = Duration.ofMinutes(1);
                }
            }
            return Optional.of(new RateLimit(rps, burst <= 0 ? rps : burst, idleTtl, sweep, (int) maxSweepBatch));
        }
    }

    /**
     * The breaker on the upstream, with Wicket's meanings: trips when at least {@code minSamples}
     * outcomes in the last {@code window} (in {@code windowBuckets}) hold a failure ratio of at
     * least {@code failureRatio}, or after {@code consecutiveFailures} failures in a row (0: off).
     */
    public record Breaker(
            double failureRatio,
            int minSamples,
            Duration cooldown,
            int halfOpenMax,
            int consecutiveFailures,
            Duration window,
            int windowBuckets) {

        static Optional<Breaker> read(Section section) {
            double ratio = section.decimal("failure_ratio", 0, -Double.MAX_VALUE, Double.MAX_VALUE);
            long minSamples = section.integer("min_samples", 0, Long.MIN_VALUE, 1_000_000);
            Duration cooldown = section.duration("cooldown", Duration.ZERO);
            long halfOpen = section.integer("half_open_max", 0, Long.MIN_VALUE, 255);
            long consecutive = section.integer("consecutive_failures", 0, 0, 1_000_000);
            Duration window = section.duration("window", Duration.ZERO);
            long buckets = section.integer("window_buckets", 0, Integer.MIN_VALUE, 1_000_000);
            section.done();
            if (ratio <= 0 && minSamples <= 0 && consecutive <= 0) {
                return Optional.empty(); // Wicket: no ratio and no min_samples, no breaker
            }
            Duration windowOrDefault = window.isNegative() || window.isZero() ? Duration.ofSeconds(10) : window;
            int bucketsOrDefault = (int) positiveOr(buckets, 10);
            if (windowOrDefault.toNanos() < bucketsOrDefault) {
                throw section.invalid("window", "shorter than one nanosecond per bucket");
            }
            return Optional.of(new Breaker(
                    ratio <= 0 || ratio > 1 ? 0.5 : ratio,
                    (int) positiveOr(minSamples, 20),
                    cooldown.isNegative() || cooldown.isZero() ? Duration.ofSeconds(30) : cooldown,
                    (int) positiveOr(halfOpen, 3),
                    (int) consecutive,
                    windowOrDefault,
                    bucketsOrDefault));
        }
    }

    /**
     * Where challenges, tokens and the queue live: this process, or one Redis shared by the replicas,
     * under {@code keyPrefix} (gateways of different sites sharing one Redis set their own).
     */
    public record Store(boolean redis, String redisAddr, String redisPassword, int redisDb, String keyPrefix) {

        /** The default key prefix. */
        public static final String KEY_PREFIX = "gatehouse:gateway:";

        static Store read(Section section) {
            String backend = section.choice("backend", "memory", List.of("memory", "redis"));
            String keyPrefix = section.text("key_prefix", KEY_PREFIX);
            if (keyPrefix.isEmpty() || keyPrefix.length() > 100 || keyPrefix.contains("{") || keyPrefix.contains("}")) {
                throw section.invalid(
                        "key_prefix",
                        "\"" + keyPrefix + "\" (expected: 1 to 100 characters, no braces:"
                                + " keys put their own hash tag after it)");
            }
            Section redis = section.section("redis");
            String addr = redis.text("addr", "");
            String password = redis.text("password", "");
            long db = redis.integer("db", 0, 0, 1_000_000);
            redis.done();
            section.done();
            if (backend.equals("redis") && addr.isEmpty()) {
                throw section.invalid("redis.addr", "required with backend: redis (expected: host:port)");
            }
            return new Store(backend.equals("redis"), addr, password, (int) db, keyPrefix);
        }

        /** The Redis URL the address, password and database make. */
        public String redisUrl() {
            String auth = redisPassword.isEmpty()
                    ? ""
                    : ":" + java.net.URLEncoder.encode(redisPassword, StandardCharsets.UTF_8) + "@";
            return "redis://" + auth + redisAddr + "/" + redisDb;
        }
    }

    /** Wicket's metrics switch; Gatehouse serves them on the private admin listener whatever it says. */
    public record Metrics(boolean enabled) {
        static Metrics read(Section section) {
            boolean enabled = section.bool("enabled", false);
            section.text("path", "");
            section.done();
            return new Metrics(enabled);
        }
    }

    /**
     * OpenTelemetry tracing over OTLP/HTTP: spans of the pipeline's stages exported to {@code
     * otlpHttpEndpoint} as {@code serviceName}, sampled by {@code samplingRatio} as Wicket reads it.
     */
    public record Tracing(boolean enabled, String otlpHttpEndpoint, String serviceName, double samplingRatio) {
        static Tracing read(Section section) {
            boolean enabled = section.bool("enabled", false);
            String endpoint = section.text("otlp_http_endpoint", "");
            String service = section.text("service_name", "");
            double ratio = section.decimal("sampling_ratio", 0, -Double.MAX_VALUE, Double.MAX_VALUE);
            section.done();
            if (enabled && endpoint.isEmpty()) {
                throw section.invalid("otlp_http_endpoint", "required with enabled: true");
            }
            if (enabled) {
                try {
                    URI uri = new URI(endpoint);
                    if (uri.getHost() == null || !(endpoint.startsWith("http://") || endpoint.startsWith("https://"))) {
                        throw new URISyntaxException(endpoint, "not an http(s) URL");
                    }
                } catch (URISyntaxException e) {
                    throw section.invalid(
                            "otlp_http_endpoint",
                            "\"" + endpoint + "\" is not an http(s) URL (expected: http://collector:4318)");
                }
            }
            return new Tracing(enabled, endpoint, service.isEmpty() ? "wicket" : service, ratio);
        }
    }

    /**
     * Admission: with {@code required}, {@code solve} mints a single-use token and {@code enqueue}
     * spends it; requests under a {@code protect} prefix need the cookie {@code solve} sets (living
     * {@code cookieTtl}); {@code secret} signs both (empty: a random one per process).
     */
    public record Admission(
            boolean required, List<String> protect, String secret, Duration tokenTtl, Duration cookieTtl) {

        /** The shortest secret accepted, in bytes. */
        public static final int MIN_SECRET_BYTES = 32;

        public Admission {
            protect = List.copyOf(protect);
        }

        static Admission read(Section section) {
            boolean required = section.bool("required", false);
            List<String> protect = section.texts("protect");
            for (String prefix : protect) {
                if (!prefix.startsWith("/")) {
                    throw section.invalid("protect", "\"" + prefix + "\" is not a path prefix (expected: /...)");
                }
            }
            String secret = section.text("secret", "");
            if (!secret.isEmpty() && secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
                throw section.invalid("secret", "shorter than " + MIN_SECRET_BYTES + " bytes");
            }
            Duration tokenTtl = section.duration("token_ttl", Duration.ofMinutes(5));
            Duration cookieTtl = section.duration("cookie_ttl", Duration.ofHours(1));
            if (tokenTtl.toSeconds() < 1 || cookieTtl.toSeconds() < 1) {
                throw section.invalid(tokenTtl.toSeconds() < 1 ? "token_ttl" : "cookie_ttl", "at least 1s");
            }
            section.done();
            return new Admission(required, protect, secret, tokenTtl, cookieTtl);
        }
    }

    /**
     * Whose request it is, the key of its rate limit: the connection's address (Wicket's only
     * choice), the address {@code trustedHops} from the right of {@code X-Forwarded-For}, a
     * header's value, or a cookie's.
     */
    public record Identity(Source source, int trustedHops, String name) {

        /** Where the client key is read from. */
        public enum Source {
            REMOTE_ADDRESS,
            FORWARDED_FOR,
            HEADER,
            COOKIE
        }

        static Identity read(Section section) {
            String from = section.choice(
                    "from", "remote_address", List.of("remote_address", "forwarded_for", "header", "cookie"));
            long hops = section.integer("trusted_hops", 1, 1, 64);
            String name = section.text("name", "");
            section.done();
            Source source = Source.valueOf(from.toUpperCase(java.util.Locale.ROOT));
            if ((source == Source.HEADER || source == Source.COOKIE) && name.isEmpty()) {
                throw section.invalid("name", "required with from: " + from + " (the " + from + "'s name)");
            }
            if (!name.isEmpty()
                    && !name.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
                throw section.invalid("name", "\"" + name + "\" is not a header or cookie name");
            }
            return new Identity(source, (int) hops, name);
        }
    }

    /**
     * The forward-auth endpoint ({@code <admin_prefix>auth}) for nginx {@code auth_request}, Traefik
     * ForwardAuth and Caddy {@code forward_auth}: the pipeline without the proxy.
     */
    public record ForwardAuth(boolean enabled) {
        static ForwardAuth read(Section section) {
            boolean enabled = section.bool("enabled", false);
            section.done();
            return new ForwardAuth(enabled);
        }
    }

    /**
     * An adaptive concurrency limit in front of the upstream: at most {@code limit} requests in
     * flight, the limit moved by the measured upstream latency ({@code gradient}) or by failures
     * ({@code aimd}) between {@code minLimit} and {@code maxLimit}; requests past it are shed.
     */
    public record Adaptive(String algorithm, int initialLimit, int minLimit, int maxLimit) {

        static Optional<Adaptive> read(Section section) {
            boolean enabled = section.bool("enabled", false);
            String algorithm = section.choice("algorithm", "gradient", List.of("gradient", "aimd"));
            long initial = section.integer("initial_limit", 20, 1, 1_000_000);
            long min = section.integer("min_limit", 1, 1, 1_000_000);
            long max = section.integer("max_limit", 1_000, 1, 1_000_000);
            section.done();
            if (min > max || initial < min || initial > max) {
                throw section.invalid(
                        "initial_limit",
                        "min_limit <= initial_limit <= max_limit (got " + min + ", " + initial + ", " + max + ")");
            }
            return enabled
                    ? Optional.of(new Adaptive(algorithm, (int) initial, (int) min, (int) max))
                    : Optional.empty();
        }
    }

    /**
     * A waiting room in front of the site: a visitor to a path under {@code paths} without a seat
     * gets the waiting page and waits in line; once let in, a seat cookie admits them. At most
     * {@code capacity} visitors hold a seat at once (0: no bound), {@code admitCount} more are let in
     * every {@code admitInterval}, and a seat is freed when its cookie has not been seen for {@code
     * session}, or at the leave URL. A visitor whose page stops asking for its place for {@code
     * abandonAfter} loses it (zero: never); the line holds at most {@code maxLine} visitors; {@code
     * joinsPerMinute} bounds how often one client (by the identity section's key) joins it, on each
     * replica (0: no bound). {@code page} is the waiting page's look.
     */
    public record WaitingRoom(
            List<String> paths,
            long capacity,
            long admitCount,
            Duration admitInterval,
            Duration session,
            Duration abandonAfter,
            long maxLine,
            long joinsPerMinute,
            PageLook page) {

        /** The largest {@code admit_count}: the room's admission limit. */
        private static final long MAX_ADMIT_COUNT = 1_000_000;

        private static final List<String> KEYS = List.of(
                "paths",
                "capacity",
                "admit_count",
                "admit_interval",
                "session",
                "abandon_after",
                "max_line",
                "joins_per_minute",
                "page");

        public WaitingRoom {
            paths = List.copyOf(paths);
        }

        static Optional<WaitingRoom> read(Section section) {
            boolean given = KEYS.stream().anyMatch(section::has);
            List<String> paths = section.texts("paths");
            for (String prefix : paths) {
                if (!prefix.startsWith("/")) {
                    throw section.invalid("paths", "\"" + prefix + "\" is not a path prefix (expected: /...)");
                }
            }
            long capacity = section.integer("capacity", 0, 0, 100_000_000);
            long admitCount = section.integer("admit_count", 0, 0, MAX_ADMIT_COUNT);
            Duration interval = section.duration("admit_interval", Duration.ofSeconds(1));
            if (interval.toMillis() < 1_000 || interval.toMillis() % 1_000 != 0 || interval.toSeconds() > 3_600) {
                throw section.invalid("admit_interval", "whole seconds from 1s to 1h");
            }
            Duration session = section.duration("session", Duration.ofMinutes(5));
            if (session.toSeconds() < 60 || session.toSeconds() > 3_600 || session.toMillis() % 1_000 != 0) {
                throw section.invalid("session", "whole seconds from 1m to 1h");
            }
            Duration abandonAfter = section.duration("abandon_after", Duration.ofMinutes(3));
            if (abandonAfter.isNegative()
                    || abandonAfter.toSeconds() > 86_400
                    || abandonAfter.toMillis() % 1_000 != 0
                    || (!abandonAfter.isZero() && abandonAfter.toSeconds() < 60)) {
                throw section.invalid(
                        "abandon_after",
                        "whole seconds from 1m to 24h, or 0s for never (a page in a background tab asks"
                                + " about once a minute)");
            }
            long maxLine = section.integer("max_line", 1_000_000, 1, 100_000_000);
            long joins = section.integer("joins_per_minute", 60, 0, 1_000_000);
            PageLook page = section.look("page");
            section.done();
            if (page.returnUrl() != null || !page.tokenParam().equals(PageLook.DEFAULT.tokenParam())) {
                throw section.invalid(
                        page.returnUrl() != null ? "page.return_url" : "page.token_param",
                        "not for the gateway's page, which sends each visitor back to the page they asked for");
            }
            if (!given) {
                return Optional.empty();
            }
            if (paths.isEmpty()) {
                throw section.invalid("paths", "required: the path prefixes the room stands in front of (/ for all)");
            }
            if (capacity == 0 && admitCount == 0) {
                throw section.invalid(
                        "capacity",
                        "neither capacity (visitors inside at once) nor admit_count (visitors let in each"
                                + " admit_interval) is set: nobody would ever get in");
            }
            return Optional.of(new WaitingRoom(
                    paths,
                    capacity,
                    admitCount > 0 ? admitCount : Math.min(capacity, MAX_ADMIT_COUNT),
                    interval,
                    session,
                    abandonAfter,
                    maxLine,
                    joins,
                    page));
        }
    }

    /** Reads and checks the file at {@code path}. */
    public static GatewayConfig read(Path path) {
        byte[] bytes;
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw new ConfigException(path + ": larger than " + MAX_FILE_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ConfigException(path + ": no such file", e);
        } catch (IOException e) {
            throw new ConfigException(path + ": cannot be read: " + e.getMessage(), e);
        }
        try {
            return parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (ConfigException e) {
            throw new ConfigException(path + ": " + e.getMessage(), e);
        }
    }

    /** Reads and checks {@code yaml}. */
    public static GatewayConfig parse(String yaml) {
        JsonNode tree;
        try {
            tree = yaml.isBlank() ? YAML.nullNode() : YAML.readTree(yaml);
        } catch (JacksonException e) {
            String location = e.getLocation() == null
                    ? ""
                    : " at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr();
            throw new ConfigException("not YAML" + location + ": " + e.getOriginalMessage(), e);
        }
        Section root = Section.root(tree == null ? YAML.nullNode() : tree);
        HostPort listen = HostPort.parse(root, "listen", root.text("listen", ":8080"));
        URI upstream = upstream(root);
        GatewayConfig config = new GatewayConfig(
                listen,
                upstream,
                Timeouts.read(root.section("timeouts")),
                Pow.read(root.section("pow")),
                Queue.read(root.section("queue")),
                RateLimit.read(root.section("rate_limit")),
                Breaker.read(root.section("circuit_breaker")),
                Store.read(root.section("store")),
                Metrics.read(root.section("metrics")),
                Tracing.read(root.section("tracing")),
                adminPrefix(root),
                HostPort.parse(root, "admin_listen", root.text("admin_listen", "127.0.0.1:9090")),
                Admission.read(root.section("admission")),
                Identity.read(root.section("identity")),
                ForwardAuth.read(root.section("forward_auth")),
                Adaptive.read(root.section("adaptive")),
                WaitingRoom.read(root.section("waiting_room")),
                (int) root.integer("event_loops", 0, 0, HttpLimits.MAX_EVENT_LOOPS));
        root.done();
        if (!config.admission().protect().isEmpty()
                && (!config.pow().enabled() || !config.pow().algorithm().equals(Pow.SHA256))) {
            throw new ConfigException("admission.protect: protected paths are entered with a cookie earned by solving a"
                    + " challenge in the browser, which needs pow.enabled: true with the sha256 algorithm");
        }
        return config;
    }

    private static URI upstream(Section root) {
        String text = root.text("upstream", "");
        if (text.isEmpty()) {
            throw root.invalid("upstream", "required (the backend's URL, as http://backend:3000)");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw root.invalid("upstream", "\"" + text + "\" is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw root.invalid("upstream", "\"" + text + "\" is not an http(s) URL (expected: http://host:port)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw root.invalid(
                    "upstream",
                    "\"" + text + "\" has a query, fragment or user (expected: scheme, host," + " port and path only)");
        }
        return uri;
    }

    private static String adminPrefix(Section root) {
        String prefix = root.text("admin_prefix", "/__gatehouse__/");
        if (!prefix.startsWith("/") || !prefix.endsWith("/") || prefix.length() < 3) {
            throw root.invalid("admin_prefix", "\"" + prefix + "\" must start and end with / (as /__wicket__/)");
        }
        return prefix;
    }

    private static long positiveOr(long value, long fallback) {
        return value > 0 ? value : fallback;
    }
}
