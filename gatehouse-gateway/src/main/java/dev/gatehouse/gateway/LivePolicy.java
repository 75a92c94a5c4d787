package dev.gatehouse.gateway;

import dev.gatehouse.core.adaptive.AdaptiveLimiter;
import dev.gatehouse.core.adaptive.AdaptiveSpec;
import dev.gatehouse.core.breaker.CircuitBreaker;
import dev.gatehouse.core.breaker.CircuitBreakerSpec;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.gateway.config.GatewayConfig.Admission;
import dev.gatehouse.gateway.config.GatewayConfig.Breaker;
import dev.gatehouse.http.settings.ConfigException;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.proof.token.AdmissionTokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The stages of the pipeline a reload replaces while requests flow: the client key, the rate
 * limit, the breaker, the adaptive limit and admission (tokens, protected paths, the cookie). Each request reads the policy in force once; a
 * reload swaps it whole. A stage whose section did not change keeps its instance, and with it its
 * state (buckets, the breaker's window), so an edit elsewhere in the file cannot reset a limit.
 */
final class LivePolicy implements AutoCloseable {

    /** The sections a reload applies; a change to any other one needs a restart. */
    static final List<String> LIVE_SECTIONS =
            List.of("rate_limit", "circuit_breaker", "adaptive", "admission", "identity");

    /** The longest token life the tokens accept. */
    private static final int MAX_TOKEN_TTL_DAYS = 366;

    /** How long a half-open probe may hold its slot without an outcome (a client gone mid-call, say). */
    private static final Duration PROBE_TIMEOUT = Duration.ofMinutes(1);

    /** The stages in force, and the config they were made from. */
    record Policy(
            GatewayConfig config,
            ClientKeys clientKeys,
            Optional<ClientRateLimit> rateLimit,
            Optional<CircuitBreaker> breaker,
            Optional<AdaptiveLimiter> adaptive,
            Optional<AdmissionTokens> tokens,
            ProtectedPaths protect,
            Optional<AdmissionCookie> cookie) {

        /**
         * The load challenges are made harder by, in [0, 1]: the breaker's state (half-open 0.75,
         * open 1) or the adaptive limit's use, whichever is higher.
         */
        double load() {
            double breakerLoad = switch (breakerState()) {
                case HALF_OPEN -> 0.75;
                case OPEN, FORCED_OPEN -> 1.0;
                default -> 0.0;
            };
            return Math.max(breakerLoad, adaptive.map(AdaptiveLimiter::load).orElse(0.0));
        }

        /** The breaker's state, closed when there is none. */
        CircuitBreaker.State breakerState() {
            return breaker.map(CircuitBreaker::state).orElse(CircuitBreaker.State.CLOSED);
        }
    }

    /** What a reload did: the live sections it applied, and the changed ones that wait for a restart. */
    record Reload(List<String> applied, List<String> restartRequired) {}

    private final GatewayConfig started;
    private final NanoClock clock;
    private final WallClock wallClock;
    private final Scheduler scheduler;
    private final HmacSecrets secrets;
    private final NonceStore nonces;
    private volatile Policy current;

    LivePolicy(
            GatewayConfig config,
            NanoClock clock,
            WallClock wallClock,
            Scheduler scheduler,
            HmacSecrets secrets,
            NonceStore nonces) {
        this.started = config;
        this.clock = clock;
        this.wallClock = wallClock;
        this.scheduler = scheduler;
        this.secrets = secrets;
        this.nonces = nonces;
        this.current = new Policy(
                config,
                new ClientKeys(config.identity()),
                config.rateLimit().map(r -> new ClientRateLimit(r, clock, scheduler)),
                config.circuitBreaker().map(this::breaker),
                config.adaptive().map(this::adaptive),
                tokens(config.admission()),
                new ProtectedPaths(config.admission().protect()),
                cookie(config.admission()));
    }

    /** The policy in force: read once per request. */
    Policy current() {
        return current;
    }

    /**
     * Applies {@code next}'s live sections, keeping the instance of each stage whose section did not
     * change; the other changed sections (against the config the gateway started with) are named in
     * the result, for a restart. Throws {@link dev.gatehouse.http.settings.ConfigException} when a
     * stage cannot be built from {@code next}, having changed nothing.
     */
    synchronized Reload apply(GatewayConfig next) {
        Policy before = current;
        check(next); // refused before anything changes
        if (!next.admission().protect().isEmpty() && !started.pow().equals(next.pow())) {
            throw new ConfigException("admission.protect: the cookie is earned by solving a challenge, and pow changed"
                    + " since the start (restart to apply pow, then protect)");
        }
        boolean rateChanged = !next.rateLimit().equals(before.config().rateLimit());
        boolean breakerChanged = !next.circuitBreaker().equals(before.config().circuitBreaker());
        boolean adaptiveChanged = !next.adaptive().equals(before.config().adaptive());
        boolean tokensChanged =
                next.admission().required() != before.config().admission().required()
                        || !next.admission()
                                .tokenTtl()
                                .equals(before.config().admission().tokenTtl());
        Policy after = new Policy(
                next,
                new ClientKeys(next.identity()),
                rateChanged ? next.rateLimit().map(r -> new ClientRateLimit(r, clock, scheduler)) : before.rateLimit(),
                breakerChanged ? next.circuitBreaker().map(this::breaker) : before.breaker(),
                adaptiveChanged ? next.adaptive().map(this::adaptive) : before.adaptive(),
                tokensChanged ? tokens(next.admission()) : before.tokens(),
                new ProtectedPaths(next.admission().protect()),
                cookie(next.admission()));
        current = after;
        if (rateChanged) {
            before.rateLimit().ifPresent(ClientRateLimit::close); // its sweeps stop; requests holding it finish
        }
        List<String> applied = new ArrayList<>();
        addIf(applied, "rate_limit", rateChanged);
        addIf(applied, "circuit_breaker", breakerChanged);
        addIf(applied, "adaptive", adaptiveChanged);
        addIf(applied, "admission", !next.admission().equals(before.config().admission()));
        addIf(applied, "identity", !next.identity().equals(before.config().identity()));
        List<String> restart = new ArrayList<>(changedSections(started, next));
        restart.removeAll(LIVE_SECTIONS);
        if (!Objects.equals(next.admission().secret(), started.admission().secret())) {
            restart.add("admission.secret"); // challenges in flight were signed with the running one
        }
        return new Reload(applied, restart);
    }

    @Override
    public synchronized void close() {
        current.rateLimit().ifPresent(ClientRateLimit::close);
    }

    /** The sections whose values differ between {@code a} and {@code b}, by their keys in the file. */
    static List<String> changedSections(GatewayConfig a, GatewayConfig b) {
        List<String> changed = new ArrayList<>();
        addIf(changed, "listen", !a.listen().equals(b.listen()));
        addIf(changed, "upstream", !a.upstream().equals(b.upstream()));
        addIf(changed, "timeouts", !a.timeouts().equals(b.timeouts()));
        addIf(changed, "pow", !a.pow().equals(b.pow()));
        addIf(changed, "queue", !a.queue().equals(b.queue()));
        addIf(changed, "rate_limit", !a.rateLimit().equals(b.rateLimit()));
        addIf(changed, "circuit_breaker", !a.circuitBreaker().equals(b.circuitBreaker()));
        addIf(changed, "store", !a.store().equals(b.store()));
        addIf(changed, "metrics", !a.metrics().equals(b.metrics()));
        addIf(changed, "tracing", !a.tracing().equals(b.tracing()));
        addIf(changed, "admin_prefix", !a.adminPrefix().equals(b.adminPrefix()));
        addIf(changed, "admin_listen", !a.adminListen().equals(b.adminListen()));
        addIf(changed, "admission", !a.admission().equals(b.admission()));
        addIf(changed, "identity", !a.identity().equals(b.identity()));
        addIf(changed, "forward_auth", !a.forwardAuth().equals(b.forwardAuth()));
        addIf(changed, "adaptive", !a.adaptive().equals(b.adaptive()));
        addIf(changed, "waiting_room", !a.waitingRoom().equals(b.waitingRoom()));
        addIf(changed, "event_loops", a.eventLoops() != b.eventLoops());
        return changed;
    }

    private static void addIf(List<String> list, String name, boolean condition) {
        if (condition) {
            list.add(name);
        }
    }

    /**
     * Checks that every live stage of {@code config} can be built (values the file's types accept
     * but a stage does not, such as a failure ratio finer than a millionth); throws {@link
     * ConfigException} naming the section, before anything starts or changes.
     */
    static void check(GatewayConfig config) {
        NanoClock any = NanoClock.system();
        stage("rate_limit", () -> config.rateLimit().ifPresent(ClientRateLimit::spec));
        stage("circuit_breaker", () -> config.circuitBreaker().ifPresent(b -> breakerSpec(b, any)));
        stage("adaptive", () -> config.adaptive().ifPresent(a -> adaptiveSpec(a, any)));
        Duration ttl = config.admission().tokenTtl();
        if (ttl.toSeconds() > MAX_TOKEN_TTL_DAYS * 86_400L) {
            throw new ConfigException("admission.token_ttl: at most " + MAX_TOKEN_TTL_DAYS + " days");
        }
    }

    private static void stage(String section, Runnable build) {
        try {
            build.run();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(section + ": " + e.getMessage(), e);
        }
    }

    /** Wicket's breaker: a rolling time window; successes and failures both count toward the minimum. */
    private static CircuitBreakerSpec breakerSpec(Breaker config, NanoClock clock) {
        return CircuitBreakerSpec.builder()
                .timeWindow(config.window(), config.windowBuckets())
                .minimumCalls(config.minSamples())
                .failureRatio(config.failureRatio())
                .consecutiveFailures(config.consecutiveFailures())
                .cooldown(config.cooldown())
                .halfOpen(config.halfOpenMax(), PROBE_TIMEOUT)
                .clock(clock)
                .build();
    }

    private static AdaptiveSpec adaptiveSpec(GatewayConfig.Adaptive config, NanoClock clock) {
        AdaptiveSpec spec = config.algorithm().equals("aimd")
                ? AdaptiveSpec.aimd(config.initialLimit(), config.minLimit(), config.maxLimit())
                : AdaptiveSpec.gradient(config.initialLimit(), config.minLimit(), config.maxLimit());
        return spec.withClock(clock);
    }

    private CircuitBreaker breaker(Breaker config) {
        return CircuitBreaker.create(breakerSpec(config, clock));
    }

    private AdaptiveLimiter adaptive(GatewayConfig.Adaptive config) {
        return AdaptiveLimiter.create(adaptiveSpec(config, clock));
    }

    /** The cookie protected paths are entered with; none when no path is protected. */
    private Optional<AdmissionCookie> cookie(Admission admission) {
        return admission.protect().isEmpty()
                ? Optional.empty()
                : Optional.of(new AdmissionCookie(secrets, admission.cookieTtl(), wallClock));
    }

    private Optional<AdmissionTokens> tokens(Admission admission) {
        return admission.required()
                ? Optional.of(AdmissionTokens.create(admission.tokenTtl(), secrets, nonces, wallClock))
                : Optional.empty();
    }
}
