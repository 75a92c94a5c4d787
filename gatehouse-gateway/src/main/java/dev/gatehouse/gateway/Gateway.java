package dev.gatehouse.gateway;

import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.gateway.config.GatewayConfig.Pow;
import dev.gatehouse.gateway.config.GatewayConfig.Timeouts;
import dev.gatehouse.http.AccessLog;
import dev.gatehouse.http.HttpLimits;
import dev.gatehouse.http.Infrastructure;
import dev.gatehouse.http.Listeners;
import dev.gatehouse.http.Started;
import dev.gatehouse.http.StoreSettings;
import dev.gatehouse.http.Surface;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.pow.PowAlgorithm;
import dev.gatehouse.proof.pow.PowSpec;
import dev.gatehouse.proof.pow.ProofOfWork;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.waitingroom.MemoryQueueState;
import dev.gatehouse.waitingroom.QueueState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running {@code gatehouse gateway}: the public listener (proxied traffic and the admin API) and
 * the private admin listener (metrics, health), over one {@link Infrastructure}.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    /** How long a challenge may be solved, as Wicket's. */
    static final Duration CHALLENGE_TTL = Duration.ofMinutes(5);

    /** Challenges and tokens remembered at once in memory (single-use records). */
    private static final int MAX_NONCES = 1_000_000;

    /** A timeout that is off: a year, long past any connection's life. */
    private static final long OFF_MILLIS = Duration.ofDays(365).toMillis();

    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int MAX_HEADER_COUNT = 200;
    private static final int MAX_INITIAL_LINE_BYTES = 16 * 1024;
    private static final int MAX_CONCURRENT_STREAMS = 128; // nginx's default (Go's, Wicket's: 250)
    private static final int MAX_CONNECTIONS = 50_000;
    private static final long SHUTDOWN_TIMEOUT_MILLIS = 5_000;

    private final Started started;
    private final Listeners listeners;

    private Gateway(Started started) {
        this.started = started;
        this.listeners = started.listeners();
    }

    /**
     * Starts the gateway {@code config} describes, on the system clocks; with {@code file} (the file
     * it was read from), the file's changes are applied as it runs.
     */
    public static Gateway start(GatewayConfig config, Optional<Path> file) {
        return start(config, file, NanoClock.system(), WallClock.system(), null);
    }

    /**
     * Starts the gateway; throws {@link ConfigException} for a value only the start can check and
     * {@link IllegalStateException} when Redis cannot be reached or a port cannot be bound.
     */
    public static Gateway start(
            GatewayConfig config,
            Optional<Path> file,
            NanoClock clock,
            WallClock wallClock,
            @Nullable Scheduler scheduler) {
        check(config); // a stage that cannot be built is refused before anything starts
        HttpLimits limits = limits(config.timeouts(), config.eventLoops());
        // before Vert.x is made: tracing keeps each request's span on the request's Vert.x context
        Optional<GatewayTracing> tracing =
                config.tracing().enabled() ? Optional.of(GatewayTracing.start(config.tracing())) : Optional.empty();
        Infrastructure infra;
        try {
            infra = Infrastructure.start(store(config), limits, clock, wallClock, scheduler);
        } catch (RuntimeException e) {
            tracing.ifPresent(GatewayTracing::close);
            throw e;
        }
        tracing.ifPresent(t -> infra.closeWith("tracing", t));
        try {
            HmacSecrets secrets = secrets(config);
            NonceStore nonces = infra.redis()
                    .map(redis -> redis.backend().nonceStore(config.store().keyPrefix()))
                    .orElseGet(() -> NonceStore.inMemory(wallClock, clock, MAX_NONCES));
            LivePolicy policy = infra.closeWith(
                    "policy", new LivePolicy(config, clock, wallClock, infra.scheduler(), secrets, nonces));
            GatewayMetrics metrics = new GatewayMetrics(infra.metrics(), policy);
            Optional<PowAlgorithm> algorithm =
                    Optional.of(config.pow()).filter(Pow::enabled).map(Gateway::algorithm);
            Optional<ProofOfWork> pow = algorithm.map(a -> proofOfWork(config.pow(), a, secrets, nonces, wallClock));
            QueueState queueState = infra.redis()
                    .<QueueState>map(
                            redis -> redis.backend().queueState(config.store().keyPrefix()))
                    .orElseGet(MemoryQueueState::new);
            Optional<TicketQueue> queue = config.queue()
                    .map(q -> infra.closeWith("queue", TicketQueue.start(q, queueState, wallClock, infra.scheduler())));
            queue.ifPresent(q -> metrics.queue(infra.metrics(), q));
            config.queue().filter(GatewayConfig.Queue::drawn).ifPresent(Gateway::logDraw);
            Optional<SiteRoom> siteRoom = config.waitingRoom()
                    .map(w -> infra.closeWith(
                            "waiting room",
                            SiteRoom.start(
                                    w,
                                    queueState,
                                    new CookieKeys(secrets, "gatehouse seat cookie v1"),
                                    clock,
                                    wallClock,
                                    infra.scheduler())));
            siteRoom.ifPresent(r -> metrics.waitingRoom(infra.metrics(), r));
            Upstream upstream =
                    infra.closeWith("upstream", new Upstream(infra.vertx(), config, policy, metrics, tracing, clock));
            metrics.answers(infra.metrics(), upstream.budget());
            AdminApi admin = new AdminApi(config.adminPrefix(), pow, algorithm, queue, policy, metrics);
            Optional<SiteRoomPages> roomPages =
                    siteRoom.map(r -> new SiteRoomPages(r, config.adminPrefix(), policy, wallClock));
            AccessLog accessLog = new AccessLog(false, false, true);
            Optional<ChannelProxy> channelProxy = upstream.channelProxy(
                    config.adminPrefix(),
                    path -> roomPages.map(r -> r.covers(path)).orElse(false),
                    limits.maxHeaderCount(),
                    SHUTDOWN_TIMEOUT_MILLIS,
                    Optional.of(accessLog).filter(AccessLog::enabled));
            channelProxy.ifPresent(proxy -> metrics.upstreamChannels(infra.metrics(), proxy.channels()));
            Surface surface = new GatewaySurface(
                    new Surface.Address(config.listen().host(), config.listen().port()),
                    config.adminPrefix(),
                    admin,
                    policy,
                    upstream,
                    metrics,
                    clock,
                    config.forwardAuth().enabled(),
                    tracing,
                    roomPages,
                    channelProxy);
            Listeners listeners = Listeners.start(
                    infra,
                    limits,
                    accessLog,
                    new Surface.Address(
                            config.adminListen().host(), config.adminListen().port()),
                    List.of(surface));
            file.ifPresent(path -> infra.closeWith("reload", ConfigReloader.watch(path, policy, infra.scheduler())));
            return new Gateway(new Started(infra, listeners));
        } catch (RuntimeException e) {
            infra.close();
            throw e;
        }
    }

    /**
     * Checks what only building the gateway's stages can check (a burst that admits nobody, a ratio
     * finer than a millionth); throws {@link ConfigException} naming the section.
     */
    public static void check(GatewayConfig config) {
        LivePolicy.check(config);
    }

    /**
     * The listener's bounds: Wicket's timeouts, and the shared plumbing's size bounds widened for a
     * proxy; served on {@code eventLoops} event loops (0: one per CPU).
     */
    static HttpLimits limits(Timeouts timeouts, int eventLoops) {
        return new HttpLimits(
                MAX_HEADER_BYTES,
                MAX_HEADER_COUNT,
                MAX_INITIAL_LINE_BYTES,
                Integer.MAX_VALUE, // bodies stream (a longer declared one: 413); the admin API bounds its own
                MAX_CONCURRENT_STREAMS,
                MAX_CONNECTIONS,
                millisOrOff(timeouts.readHeader()),
                millisOrOff(timeouts.read()),
                millisOrOff(timeouts.write()),
                millisOrOff(timeouts.idle()),
                SHUTDOWN_TIMEOUT_MILLIS,
                0,
                eventLoops,
                false); // fixed bounds: no http.* setting to name in a refusal
    }

    private static long millisOrOff(Duration timeout) {
        return timeout.isZero() ? OFF_MILLIS : Math.max(1, timeout.toMillis());
    }

    private static StoreSettings store(GatewayConfig config) {
        return config.store().redis()
                ? new StoreSettings(
                        StoreSettings.Type.REDIS, List.of(config.store().redisUrl()), false, 500, 1_000)
                : new StoreSettings(StoreSettings.Type.MEMORY, List.of(), false, 500, 1_000);
    }

    private static PowAlgorithm algorithm(Pow pow) {
        return pow.algorithm().equals(Pow.ARGON2ID)
                ? new PowAlgorithm.Argon2id(pow.argon2MemoryKib(), 1, 1)
                : new PowAlgorithm.Sha256();
    }

    private static ProofOfWork proofOfWork(
            Pow pow, PowAlgorithm algorithm, HmacSecrets secrets, NonceStore nonces, WallClock wallClock) {
        PowSpec spec = PowSpec.of(pow.baseDifficulty(), pow.maxDifficulty(), CHALLENGE_TTL);
        return switch (algorithm) {
            case PowAlgorithm.Sha256 sha256 -> ProofOfWork.sha256(spec, secrets, nonces, wallClock);
            case PowAlgorithm.Argon2id argon2 -> {
                if (argon2.memoryKiB() > ProofOfWork.argon2MemoryBudgetKiB()) {
                    LOG.warn(
                            "pow.argon2_memory_kib {} is more than a quarter of the heap ({} MiB): solutions are checked"
                                    + " one at a time, and each may still leave the heap short; raise the heap (-Xmx)"
                                    + " or lower argon2_memory_kib",
                            argon2.memoryKiB(),
                            Runtime.getRuntime().maxMemory() / (1024 * 1024));
                }
                yield ProofOfWork.argon2id(spec, argon2, secrets, nonces, wallClock);
            }
        };
    }

    /** The file's secret, or a random one for this process alone (replicas must then share one: said at start). */
    private static HmacSecrets secrets(GatewayConfig config) {
        String secret = config.admission().secret();
        if (!secret.isEmpty()) {
            return HmacSecrets.of(secret.getBytes(StandardCharsets.UTF_8));
        }
        if (config.pow().enabled()
                || config.admission().required()
                || config.waitingRoom().isPresent()) {
            LOG.warn("admission.secret is not set: challenges, tokens and cookies are signed with a random key of this"
                    + " process alone; replicas behind one load balancer must share admission.secret");
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return HmacSecrets.of(random);
    }

    private static void logDraw(GatewayConfig.Queue config) {
        if (config.vrfKey().isEmpty() || config.signingKey().isEmpty()) {
            LOG.warn("queue.vrf_key or queue.signing_key is not set: the draw uses a random key of this process"
                    + " alone, which no one can know in advance to check the records against");
        }
        LOG.info(
                "queue ({}): registering tickets until POST /queue/open on the admin listener draws their order",
                config.type());
    }

    /** The port of the public listener (the bound one when 0 was configured). */
    public int port() {
        return listeners.port("gateway");
    }

    /** The port of the private admin listener. */
    public int adminPort() {
        return listeners.adminPort();
    }

    /** Shuts down gracefully, then closes the infrastructure. */
    @Override
    public void close() {
        started.close();
    }
}
