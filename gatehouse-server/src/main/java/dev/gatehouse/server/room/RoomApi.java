package dev.gatehouse.server.room;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.core.internal.Failures;
import dev.gatehouse.core.keyed.LimiterUnavailableException;
import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.limit.RateLimitFields;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.http.ClientText;
import dev.gatehouse.http.Download;
import dev.gatehouse.http.ErrorStyle;
import dev.gatehouse.http.RateLimitHeaders;
import dev.gatehouse.http.ThrottledWarning;
import dev.gatehouse.proof.pow.Challenge;
import dev.gatehouse.proof.pow.PowVerdict;
import dev.gatehouse.proof.pow.ProofOfWork;
import dev.gatehouse.vertx.RequestContext;
import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Enqueued;
import dev.gatehouse.waitingroom.QueueState.Finish;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.QueueTokens;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;
import dev.gatehouse.waitingroom.RoomConfigs;
import dev.gatehouse.waitingroom.RoomDraw;
import dev.gatehouse.waitingroom.RoomStoreUnavailableException;
import dev.gatehouse.waitingroom.Tenant;
import dev.gatehouse.waitingroom.TenantDirectory;
import dev.gatehouse.waitingroom.TenantStore;
import dev.gatehouse.waitingroom.TenantStore.AuditEvent;
import dev.gatehouse.waitingroom.TenantStore.AuditKind;
import dev.gatehouse.waitingroom.VisitorCalls;
import dev.gatehouse.waitingroom.VisitorCalls.AddressLimit;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the waiting room, wire-compatible with GatekeeperAPI: {@code /queue/enqueue},
 * {@code /queue/status}, {@code /queue/verify}, {@code /queue/finish}, {@code /config} and {@code
 * /health}. Errors are {@code {"detail": "…"}}; validation errors FastAPI's list.
 */
final class RoomApi {

    private static final Logger LOG = LoggerFactory.getLogger(RoomApi.class);

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Reads of a room's config one change makes at most while other replicas' changes overtake it. */
    private static final int CONFIG_ATTEMPTS = 64;

    /** Longest user id, in characters (the header block bounds it in bytes too). */
    static final int MAX_USER_ID_CHARS = 256;

    /** Longest API key or token looked at; longer ones are refused unread. */
    private static final int MAX_CREDENTIAL_CHARS = 4096;

    /** The header naming a room by its publishable id (the tenant id), for a visitor's requests. */
    static final String ROOM_HEADER = "X-Gatehouse-Room";

    private static final String ENQUEUED = "User enqueued successfully.";
    private static final String ALREADY_QUEUED = "User is already in the queue.";
    private static final String ALREADY_READY = "User is already ready.";
    private static final String NOT_FOUND_WARNING = "User not found in queue. Enqueue again.";

    private final TenantDirectory tenants;
    private final QueueState state;
    private final TenantStore store;
    private final QueueTokens tokens;
    private final Admissions admissions;
    private final RoomConfigs configs;
    private final RoomDraws draws;
    private final VisitorCalls calls;
    private final RoomWork work;
    private final WallClock clock;
    private final int trustedProxyHops;
    /** A store that does not answer fails every request: a line every few seconds says so, not one per request. */
    private final ThrottledWarning storeDownLog;
    /** The same for audit events (one per finish and config change) that the tenant store did not take. */
    private final ThrottledWarning auditDownLog;
    /** Per room, the config change that runs last (see {@link #inTurn}). */
    private final Map<String, CompletableFuture<?>> configChanges = new ConcurrentHashMap<>();
    /** Per room, the save of its config to the tenant store that runs last. */
    private final Map<String, CompletableFuture<?>> configSaves = new ConcurrentHashMap<>();

    RoomApi(
            TenantDirectory tenants,
            QueueState state,
            TenantStore store,
            QueueTokens tokens,
            Admissions admissions,
            RoomConfigs configs,
            RoomDraws draws,
            VisitorCalls calls,
            RoomWork work,
            WallClock clock,
            int trustedProxyHops) {
        this.tenants = tenants;
        this.state = state;
        this.store = store;
        this.tokens = tokens;
        this.admissions = admissions;
        this.configs = configs;
        this.draws = draws;
        this.calls = calls;
        this.work = work;
        this.clock = clock;
        this.storeDownLog =
                new ThrottledWarning(LOG, "the waiting room's queue store did not answer; requests get 503", clock);
        this.auditDownLog = new ThrottledWarning(LOG, "audit events not written to the tenant store", clock);
        this.trustedProxyHops = trustedProxyHops;
    }

    void mount(Router router, int maxBodyBytes) {
        router.post("/queue/enqueue").handler(this::enqueue);
        router.post("/queue/challenge").handler(this::challenge);
        router.get("/queue/status").handler(this::status);
        router.get("/queue/verify").handler(this::verify);
        router.delete("/queue/finish").handler(this::finish);
        router.get("/config").handler(this::getConfig);
        router.post("/config")
                .handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes))
                .handler(this::postConfig)
                .failureHandler(RoomApi::bodyFailed);
        router.get("/health").handler(ctx -> JsonAnswers.send(ctx.response(), 200, "{\"status\":\"healthy\"}"));
        for (String file : RoomDraw.FILES) {
            router.route(HttpMethod.GET, "/draw/:room/" + file).handler(ctx -> drawFile(ctx, file));
            router.route(HttpMethod.HEAD, "/draw/:room/" + file).handler(ctx -> drawFile(ctx, file));
        }
    }

    /**
     * A room's draw file, for anyone to check: no key, since {@code gatehouse verify} and the
     * visitors fetch them by URL; the room is named by its tenant id (which names no key).
     */
    private void drawFile(RoutingContext ctx, String file) {
        String room = ctx.pathParam("room");
        if (room == null || tenants.byId(room).isEmpty()) {
            detail(ctx.response(), 404, "Not Found");
            return;
        }
        String ticket = file.equals("proof") ? ctx.request().getParam("ticket", "") : "";
        // answered on the request's event loop: a download sets its drain handler where it writes
        RequestContext.whenComplete(stage(() -> draws.of(room).file(file, ticket)), (answer, failure) -> {
            if (failure != null || answer == null) {
                failed(ctx, failure);
            } else {
                Download.sendOrRefuse(
                        ctx,
                        ErrorStyle.DETAIL,
                        answer.mediaType(),
                        answer.bytes(),
                        answer.malformed(),
                        answer.refusal());
            }
        });
    }

    /**
     * A body that could not be read: too large (413, as the declared-length check answers), or the
     * client went away or broke the framing (nothing to answer; no ERROR line a client could cause).
     */
    private static void bodyFailed(RoutingContext ctx) {
        if (ctx.statusCode() == 413) {
            detail(ErrorStyle.closing(ctx.request()), 413, "request body too large (expected: <= http.max-body-bytes)");
        } else if (ctx.failure() instanceof io.vertx.core.http.HttpClosedException
                || ctx.response().closed()) {
            LOG.debug(
                    "{} {}: the client went away while sending the body",
                    ctx.request().method(),
                    ctx.request().path());
        } else {
            LOG.debug(
                    "{} {}: body not read: {}",
                    ctx.request().method(),
                    ctx.request().path(),
                    String.valueOf(ctx.failure()));
            detail(ctx.response(), 400, "the request body could not be read");
        }
    }

    /** The methods a room path answers, for the {@code Allow} header of a 405. */
    static String allowedMethods(String rawPath) {
        String path =
                rawPath.length() > 1 && rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1) : rawPath;
        return switch (path) {
            case "/queue/enqueue", "/queue/challenge" -> "POST";
            case "/queue/finish" -> "DELETE";
            case "/config" -> "GET, POST";
            default -> {
                if (path.startsWith("/wait/") && path.endsWith("/nojs")) {
                    yield "GET, HEAD, POST";
                }
                boolean files = path.startsWith("/draw/") || path.startsWith("/wait/");
                yield files || path.equals("/.well-known/jwks.json") ? "GET, HEAD" : "GET";
            }
        };
    }

    // --- the routes

    private void enqueue(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        Optional<Tenant> tenant = visitorTenant(ctx);
        if (tenant.isEmpty()) {
            return;
        }
        String room = tenant.get().id();
        String user = request.getHeader("user_id");
        if (user == null) {
            user = request.getHeader("user-id");
        }
        if (user == null || user.isEmpty()) {
            new Validation().missing("header", "user_id").send(ctx.response());
            return;
        }
        if (user.length() > MAX_USER_ID_CHARS) {
            new Validation()
                    .tooLong("header", "user_id", user, MAX_USER_ID_CHARS)
                    .send(ctx.response());
            return;
        }
        String userId = user;
        withConfig(ctx, room, config -> {
            AddressLimit limit = AddressLimit.enqueue(clientAddress(ctx), config);
            // with a proof of work: the address's limit before the work is checked, the work before the queue
            if (config.powDifficulty() > 0) {
                limited(
                        ctx,
                        room,
                        limit,
                        RoomApi::detail,
                        () -> worked(ctx, room, config, () -> {
                            long now = clock.epochMillis();
                            stage(() -> state.enqueue(room, userId, now)).whenComplete((enqueued, failure) -> {
                                if (failure != null) {
                                    failed(ctx, failure);
                                } else {
                                    answerEnqueued(ctx, room, userId, config, enqueued);
                                }
                            });
                        }));
                return;
            }
            whenMade(
                    ctx,
                    room,
                    limit,
                    RoomApi::detail,
                    () -> calls.enqueue(room, userId, clock.epochMillis(), limit),
                    enqueued -> answerEnqueued(ctx, room, userId, config, enqueued));
        });
    }

    /** The answer to an enqueue that was made: the token when it added the user, and where it stands. */
    private void answerEnqueued(RoutingContext ctx, String room, String user, RoomConfig config, Enqueued enqueued) {
        Standing standing = enqueued.standing();
        String token = enqueued.added() ? tokens.issue(room, user, config.jwtExpirySeconds()) : "";
        if (enqueued.added() && config.maxActiveUsers() > 0) {
            admissions.nudge(room); // a free seat takes the newcomer at once
        }
        JsonAnswers.send(ctx.response(), 200, json -> {
            json.writeStringField("jwt", token);
            writePosition(json, standing);
            json.writeStringField(
                    "message", enqueued.added() ? ENQUEUED : standing.isReady() ? ALREADY_READY : ALREADY_QUEUED);
            if (enqueued.added()) { // a ticket only to its token's holder
                writeEvent(json, room, user, standing, config);
            }
        });
    }

    /**
     * {@code POST /queue/challenge}: a proof-of-work challenge of the room, for a visitor to solve
     * before it enqueues; 404 when the room asks none.
     */
    private void challenge(RoutingContext ctx) {
        Optional<Tenant> tenant = visitorTenant(ctx);
        if (tenant.isEmpty()) {
            return;
        }
        String room = tenant.get().id();
        withConfig(ctx, room, config -> {
            if (config.powDifficulty() == 0) {
                detail(ctx.response(), 404, "This room asks for no proof of work.");
            } else {
                JsonAnswers.send(ctx.response(), 200, challengeJson(room, config));
            }
        });
    }

    /**
     * Runs {@code then} once the request carries a solution to one of the room's challenges ({@code
     * X-Gatehouse-Pow-Id}, {@code X-Gatehouse-Pow-Nonce}), spending it, when the room asks for a
     * proof of work; else answers 428 with a challenge to solve (and why the solution given was
     * refused), or 503 when the record of spent solutions cannot be reached.
     */
    private void worked(RoutingContext ctx, String room, RoomConfig config, Runnable then) {
        if (config.powDifficulty() == 0) {
            then.run();
            return;
        }
        String id = ctx.request().getHeader(ProofOfWork.ID_HEADER);
        String nonce = ctx.request().getHeader(ProofOfWork.NONCE_HEADER);
        if (id == null || nonce == null) {
            workRequired(
                    ctx,
                    room,
                    config,
                    "This room asks for a proof of work before it queues anyone: solve the" + " challenge and send "
                            + ProofOfWork.ID_HEADER + " and " + ProofOfWork.NONCE_HEADER + ".");
            return;
        }
        work.verify(room, config.powDifficulty(), id, nonce).whenComplete((verdict, failure) -> {
            if (failure != null || verdict == PowVerdict.UNAVAILABLE || verdict == PowVerdict.BUSY) {
                failed(
                        ctx,
                        failure == null ? new RoomStoreUnavailableException("nonce store: " + verdict, null) : failure);
            } else if (!verdict.accepted()) {
                workRequired(
                        ctx,
                        room,
                        config,
                        "The proof of work was refused (" + verdict.name().toLowerCase(java.util.Locale.ROOT)
                                + "): solve this challenge.");
            } else {
                then.run();
            }
        });
    }

    private void workRequired(RoutingContext ctx, String room, RoomConfig config, String message) {
        ObjectNode body = NODES.objectNode().put("detail", message);
        body.set("challenge", challengeJson(room, config));
        JsonAnswers.send(ctx.response(), 428, body);
    }

    /** A new challenge of the room on the wire, as the gateway's: its id, payload, difficulty, expiry and hash. */
    private ObjectNode challengeJson(String room, RoomConfig config) {
        Challenge challenge = work.issue(room, config.powDifficulty());
        return NODES.objectNode()
                .put("id", challenge.id())
                .put("payload", challenge.payloadHex())
                .put("difficulty", challenge.difficulty())
                .put("expires_at", challenge.expiresAtMillis() / 1000)
                .put("algorithm", "sha256");
    }

    /**
     * In a room with an event, where a known user checks the draw: its ticket id, the draw's files
     * (a path under this server), and, while registered, when the draw runs.
     */
    private void writeEvent(JsonGenerator json, String room, String user, Standing standing, RoomConfig config)
            throws IOException {
        if (!config.hasEvent() || standing.state() == QueueState.State.UNKNOWN) {
            return;
        }
        json.writeStringField("ticket", tokens.drawTicket(room, user));
        json.writeStringField("draw", "/draw/" + room + "/");
        if (standing.state() == QueueState.State.REGISTERED) {
            json.writeNumberField("opens_at", config.opensAt());
        }
    }

    /** A queued user's position; a user registered in a pre-queue has none until the draw. */
    private static void writePosition(JsonGenerator json, Standing standing) throws IOException {
        if (standing.state() == QueueState.State.REGISTERED) {
            json.writeNullField("position");
            json.writeBooleanField("prequeue", true);
        } else {
            json.writeNumberField("position", standing.position());
        }
    }

    private void status(RoutingContext ctx) {
        Optional<Tenant> tenant = visitorTenant(ctx);
        if (tenant.isEmpty()) {
            return;
        }
        String room = tenant.get().id();
        // checked first, in this process: a forged or foreign token costs no call to the stores
        Optional<QueueTokens.Checked> checked = token(ctx, room, true);
        if (checked.isEmpty()) {
            return;
        }
        String user = checked.get().user().orElseThrow();
        boolean expired = checked.get().verdict() == QueueTokens.Verdict.EXPIRED;
        String presented = presentedToken(ctx.request()).orElseThrow();
        withConfig(ctx, room, config -> {
            AddressLimit limit = AddressLimit.status(clientAddress(ctx), config);
            whenMade(
                    ctx,
                    room,
                    limit,
                    RoomApi::detail,
                    () -> calls.status(room, user, clock.epochMillis(), limit),
                    standing -> {
                        // a user the room knows gets its token (renewed when it expired)
                        String token = standing.state() == QueueState.State.UNKNOWN
                                ? null
                                : standing.state() == QueueState.State.READY
                                                && tokens.algorithm() == QueueTokens.Algorithm.EDDSA
                                        // a pass a backend checks offline: ready, until when
                                        ? tokenFor(room, user, standing, config)
                                        : expired ? tokens.issue(room, user, config.jwtExpirySeconds()) : presented;
                        OptionalLong eta = standing.state() == QueueState.State.QUEUED
                                ? admissions.estimatedWaitSeconds(room, standing.position(), config)
                                : OptionalLong.empty();
                        JsonAnswers.send(ctx.response(), 200, json -> {
                            if (token == null) {
                                json.writeStringField("warning_msg", NOT_FOUND_WARNING);
                                json.writeNullField("jwt_token");
                            } else {
                                json.writeNullField("warning_msg");
                                json.writeStringField("jwt_token", token);
                            }
                            switch (standing.state()) {
                                case QUEUED -> {
                                    json.writeNumberField("position", standing.position());
                                    json.writeBooleanField("ready", false);
                                    if (eta.isPresent()) {
                                        json.writeNumberField("estimated_wait_seconds", eta.getAsLong());
                                    } else {
                                        json.writeNullField("estimated_wait_seconds");
                                    }
                                }
                                case READY -> {
                                    json.writeNullField("position");
                                    json.writeBooleanField("ready", true);
                                    json.writeNumberField("estimated_wait_seconds", 0);
                                }
                                case REGISTERED -> {
                                    json.writeNullField("position");
                                    json.writeBooleanField("ready", false);
                                    json.writeNullField("estimated_wait_seconds");
                                    json.writeBooleanField("prequeue", true);
                                }
                                case UNKNOWN -> {
                                    json.writeNullField("position");
                                    json.writeBooleanField("ready", false);
                                    json.writeNullField("estimated_wait_seconds");
                                }
                            }
                            writeEvent(json, room, user, standing, config);
                        });
                    });
        });
    }

    private void verify(RoutingContext ctx) {
        backendCaller(ctx)
                .ifPresent(caller -> answer(
                        ctx, () -> state.standing(caller.room(), caller.user(), clock.epochMillis()), standing -> {
                            ObjectNode body = NODES.objectNode();
                            body.put("message", standing.isReady() ? "User is ready" : "User is not ready");
                            body.put("ready", standing.isReady());
                            return body;
                        }));
    }

    private void finish(RoutingContext ctx) {
        backendCaller(ctx).ifPresent(caller -> {
            long now = clock.epochMillis();
            answer(ctx, () -> state.finish(caller.room(), caller.user(), now), finish -> {
                ObjectNode body = NODES.objectNode();
                if (finish == Finish.READY_CLEARED) {
                    body.put("status", "ready_cleared");
                    body.put("message", "User removed from ready state");
                    audit(new AuditEvent(caller.room(), now, AuditKind.FINISHED, caller.user(), 1));
                    admissions.nudge(caller.room()); // with a capacity bound, the freed seat is taken at once
                } else {
                    body.put("status", "not_ready");
                    body.put("message", "User is not in ready state");
                }
                return body;
            });
        });
    }

    private void getConfig(RoutingContext ctx) {
        tenant(ctx)
                .ifPresent(tenant -> answer(
                        ctx,
                        () -> state.config(tenant.id()),
                        config -> configAnswer("Configuration retrieved successfully", config)));
    }

    /** A call of the business backend: its room and the user its valid (unexpired) token names. */
    private record Caller(String room, String user) {}

    /** The backend's caller, or empty having answered 401 (no key, no token, an expired one). */
    private Optional<Caller> backendCaller(RoutingContext ctx) {
        Optional<Tenant> tenant = tenant(ctx);
        if (tenant.isEmpty()) {
            return Optional.empty();
        }
        String room = tenant.get().id();
        return token(ctx, room, false)
                .map(checked -> new Caller(room, checked.user().orElseThrow()));
    }

    /** Answers 200 with {@code body} of what {@code call} gives, or 503 when the store does not answer. */
    private <T> void answer(
            RoutingContext ctx, Supplier<CompletionStage<T>> call, java.util.function.Function<T, ObjectNode> body) {
        stage(call).whenComplete((result, failure) -> {
            if (failure != null) {
                failed(ctx, failure);
                return;
            }
            JsonAnswers.send(ctx.response(), 200, body.apply(result));
        });
    }

    private void postConfig(RoutingContext ctx) {
        Optional<Tenant> tenant = tenant(ctx);
        if (tenant.isEmpty()) {
            return;
        }
        String room = tenant.get().id();
        Map<Field, Long> changes = new EnumMap<>(Field.class);
        Validation invalid = new Validation();
        readChanges(ctx, changes, invalid);
        if (!invalid.isEmpty()) {
            invalid.send(ctx.response());
            return;
        }
        long now = clock.epochMillis();
        // one change of a room's config at a time in this process, kept (cache, tenant store) before the
        // next begins, so the last one stays; a queue store shared with other replicas refuses a stale write
        inTurn(
                        configChanges,
                        room,
                        () -> changeConfig(room, changes, now, 1).thenApply(outcome -> kept(room, outcome, now)))
                .whenComplete((outcome, failure) -> {
                    if (failure != null) {
                        failed(ctx, failure);
                        return;
                    }
                    if (outcome.refusal() != null) {
                        ObjectNode given = NODES.objectNode();
                        changes.forEach((field, value) -> given.put(field.wireName(), value));
                        new Validation()
                                .add("value_error", List.of("body"), "Value error, " + outcome.refusal(), given, null)
                                .send(ctx.response());
                        return;
                    }
                    RoomConfig updated = outcome.updated();
                    if (updated == null) {
                        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                        detail(
                                ctx.response(),
                                503,
                                "The room's config kept changing while this change was made; retry");
                        return;
                    }
                    audit(new AuditEvent(room, now, AuditKind.CONFIG_CHANGED, null, changes.size()));
                    admissions.nudge(room); // the next tick is rescheduled from the new frequency
                    JsonAnswers.send(ctx.response(), 200, configAnswer("Configuration updated successfully", updated));
                });
    }

    /**
     * {@code outcome}, once a config it stored is this process's (the configs every route and event reads);
     * its save to the tenant store is under way (a failure to save is logged: the queue store holds it).
     */
    private ConfigOutcome kept(String room, ConfigOutcome outcome, long now) {
        RoomConfig updated = outcome.updated();
        if (updated == null) {
            return outcome;
        }
        configs.stored(room, updated, now);
        // saved after the answer (a slow database delays no change) but in the order made: the last stays
        inTurn(configSaves, room, () -> store.saveConfig(room, updated)).whenComplete((saved, notSaved) -> {
            if (notSaved != null) {
                LOG.warn(
                        "room {}: config not saved to the tenant store: {}",
                        room,
                        Failures.cause(notSaved).toString());
            }
        });
        return outcome;
    }

    /** What a config change came to: the config stored, or why not (both null: it kept being overtaken). */
    private record ConfigOutcome(
            @Nullable RoomConfig updated, @Nullable String refusal) {}

    /**
     * Applies {@code changes} to the room's config as read now, if the event fields allow them, and
     * stores the result unless the config changed meanwhile (another replica's change); then it reads
     * again, up to {@link #CONFIG_ATTEMPTS} times.
     */
    private CompletionStage<ConfigOutcome> changeConfig(String room, Map<Field, Long> changes, long now, int attempt) {
        return stage(() -> state.config(room))
                .thenCompose(current -> eventRefusal(room, current, changes, now)
                        .thenCompose(refusal -> {
                            if (refusal.isPresent()) {
                                return CompletableFuture.completedFuture(new ConfigOutcome(null, refusal.get()));
                            }
                            RoomConfig updated = current.with(changes);
                            return state.configureIfUnchanged(room, current, updated, now)
                                    .thenCompose(stored -> {
                                        if (stored) {
                                            return CompletableFuture.completedFuture(new ConfigOutcome(updated, null));
                                        }
                                        return attempt < CONFIG_ATTEMPTS
                                                ? changeConfig(room, changes, now, attempt + 1)
                                                : CompletableFuture.completedFuture(new ConfigOutcome(null, null));
                                    });
                        }));
    }

    /**
     * {@code step} once the steps of {@code room} begun before it in {@code turns} are done (failed
     * ones too): config changes, so that a read-modify-write never starts from what another is about
     * to overwrite, and saves to the tenant store, so that the last change made is the last saved.
     */
    private <T> CompletionStage<T> inTurn(
            Map<String, CompletableFuture<?>> turns, String room, Supplier<CompletionStage<T>> step) {
        CompletableFuture<T> done = new CompletableFuture<>();
        CompletableFuture<?> previous = turns.put(room, done);
        (previous == null ? CompletableFuture.completedFuture(null) : previous)
                .handle((ignored, failure) -> null)
                .thenCompose(ignored -> stage(step))
                .whenComplete((result, failure) -> {
                    turns.remove(room, done); // the last step of the room leaves no entry behind
                    if (failure != null) {
                        done.completeExceptionally(failure);
                    } else {
                        done.complete(result);
                    }
                });
        return done;
    }

    /**
     * Why {@code changes} to {@code current} cannot set the room's event, if they cannot: an event
     * needs both times, the pre-queue first; a new {@code opens_at} must be ahead; and a room holds
     * one event, so its times stay once the draw has begun, and an open pre-queue's users are not
     * left without one.
     */
    private CompletionStage<Optional<String>> eventRefusal(
            String room, RoomConfig current, Map<Field, Long> changes, long nowMillis) {
        long prequeueOpensAt = changes.getOrDefault(Field.PREQUEUE_OPENS_AT, current.prequeueOpensAt());
        long opensAt = changes.getOrDefault(Field.OPENS_AT, current.opensAt());
        if (prequeueOpensAt == current.prequeueOpensAt() && opensAt == current.opensAt()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        Optional<String> problem = RoomConfig.eventProblem(prequeueOpensAt, opensAt);
        if (problem.isPresent()) {
            return CompletableFuture.completedFuture(problem);
        }
        if (opensAt != 0 && opensAt != current.opensAt() && opensAt * 1000 <= nowMillis) {
            return CompletableFuture.completedFuture(Optional.of("opens_at is not in the future"));
        }
        return state.prequeue(room).thenApply(phase -> switch (phase) {
            case NONE -> Optional.<String>empty();
            case OPEN ->
                opensAt == 0
                        ? Optional.of("the event's pre-queue is open and its users wait for the draw: move opens_at"
                                + " instead")
                        : Optional.<String>empty();
            case CLOSED, ENDED -> Optional.of("the room's event has been drawn; a room holds one event");
        });
    }

    /** Reads the JSON object of fields to change, adding an error for each bad one. */
    private static void readChanges(RoutingContext ctx, Map<Field, Long> changes, Validation invalid) {
        byte[] bytes = ctx.body() == null || ctx.body().buffer() == null
                ? new byte[0]
                : ctx.body().buffer().getBytes();
        if (bytes.length == 0) {
            invalid.add("missing", List.of("body"), "Field required", NODES.nullNode(), null);
            return;
        }
        JsonNode body;
        try (JsonParser parser = JSON.createParser(bytes)) {
            body = JSON.readTree(parser);
            long end = offset(parser.currentLocation());
            if (body == null) {
                invalidJson(invalid, end, "Invalid JSON"); // only whitespace
                return;
            }
            if (hasMore(parser)) {
                // one JSON value and nothing after it: {"admission_limit": 10} x is not a config
                invalidJson(invalid, end, "Extra data");
                return;
            }
        } catch (JsonProcessingException e) {
            // where the reading stopped and why, in words of the JSON, never the parser's (its
            // messages name Java classes and parser features)
            invalidJson(
                    invalid,
                    e.getLocation() == null ? 0 : offset(e.getLocation()),
                    e instanceof StreamConstraintsException ? "Nesting too deep or a number too long" : "Invalid JSON");
            return;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("reading bytes in memory", e);
        }
        if (!body.isObject()) {
            invalid.add(
                    "model_attributes_type",
                    List.of("body"),
                    "Input should be a valid dictionary or object to extract fields from",
                    body,
                    null);
            return;
        }
        for (Map.Entry<String, JsonNode> member : body.properties()) {
            String name = member.getKey();
            JsonNode value = member.getValue();
            Optional<Field> field = Field.named(name);
            if (field.isEmpty()) {
                invalid.add("extra_forbidden", List.of("body", name), "Extra inputs are not permitted", value, null);
                continue;
            }
            if (value.isNull()) {
                continue; // as pydantic's Optional fields: not given
            }
            OptionalLong number = integer(value);
            if (number.isEmpty()) {
                invalid.add("int_parsing", List.of("body", name), "Input should be a valid integer", value, null);
                continue;
            }
            long given = number.getAsLong();
            Field f = field.get();
            if (given < f.min()) {
                invalid.add(
                        "greater_than_equal",
                        List.of("body", name),
                        "Input should be greater than or equal to " + f.min(),
                        value,
                        NODES.objectNode().put("ge", f.min()));
            } else if (given > f.max()) {
                invalid.add(
                        "less_than_equal",
                        List.of("body", name),
                        "Input should be less than or equal to " + f.max(),
                        value,
                        NODES.objectNode().put("le", f.max()));
            } else {
                changes.put(f, given);
            }
        }
    }

    /** Where {@code location} is in the body: characters, or bytes when the parser counted those. */
    private static long offset(JsonLocation location) {
        return location.getCharOffset() >= 0 ? location.getCharOffset() : location.getByteOffset();
    }

    /** Whether anything but whitespace follows the value {@code parser} read. */
    private static boolean hasMore(JsonParser parser) throws java.io.IOException {
        try {
            return parser.nextToken() != null;
        } catch (JsonProcessingException e) {
            return true; // not even a token
        }
    }

    /** FastAPI's json_invalid entry: where the reading stopped (Python's "Extra data" names the same place). */
    private static void invalidJson(Validation invalid, long offset, String error) {
        invalid.add(
                "json_invalid",
                List.of("body", (int) Math.max(0, Math.min(offset, Integer.MAX_VALUE))),
                "JSON decode error",
                NODES.objectNode(),
                NODES.objectNode().put("error", error));
    }

    /** An integer as pydantic reads one in lax mode: a JSON integer, a float without fraction, or digits in a string. */
    private static OptionalLong integer(JsonNode value) {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return OptionalLong.of(value.longValue());
        }
        if (value.isFloatingPointNumber()) {
            double d = value.doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? OptionalLong.of((long) d) : OptionalLong.empty();
        }
        if (value.isTextual()) {
            String text = value.textValue().trim();
            if (!text.isEmpty() && text.length() <= 18 && text.matches("[+-]?[0-9]+")) {
                return OptionalLong.of(Long.parseLong(text));
            }
        }
        return OptionalLong.empty();
    }

    private static ObjectNode configAnswer(String message, RoomConfig config) {
        ObjectNode body = NODES.objectNode().put("message", message);
        ObjectNode fields = body.putObject("updated_config");
        config.values().forEach((field, value) -> fields.put(field.wireName(), value));
        return body;
    }

    // --- what every route shares

    /**
     * The room of a visitor's request (enqueue, status): named by its publishable id in {@code
     * X-Gatehouse-Room} (the hosted waiting page, or any page that should not carry the API key), else
     * by the API key as GatekeeperAPI's frontends send it; answers 401 and returns empty when neither
     * names a live room.
     */
    private Optional<Tenant> visitorTenant(RoutingContext ctx) {
        String room = ctx.request().getHeader(ROOM_HEADER);
        if (room == null) {
            return tenant(ctx);
        }
        Optional<Tenant> tenant = room.length() <= MAX_CREDENTIAL_CHARS ? tenants.byId(room.trim()) : Optional.empty();
        if (tenant.isEmpty()) {
            detail(ctx.response(), 401, "Unknown room in " + ROOM_HEADER);
        }
        return tenant;
    }

    /** The tenant of the request's API key; answers 401 and returns empty when there is none. */
    private Optional<Tenant> tenant(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String key = firstHeader(request, "business_id", "business-id", "X-Api-Key");
        if (key == null || key.isEmpty()) {
            detail(ctx.response(), 401, "Missing API key: send it in the business_id header");
            return Optional.empty();
        }
        Optional<Tenant> tenant = key.length() <= MAX_CREDENTIAL_CHARS ? tenants.byKey(key) : Optional.empty();
        if (tenant.isEmpty()) {
            detail(ctx.response(), 401, "Invalid API key");
        }
        return tenant;
    }

    /**
     * The checked queue token of the request, for {@code room}: answers 401 and returns empty when it
     * is missing or not valid (or expired, unless {@code expiredIsFine}).
     */
    private Optional<QueueTokens.Checked> token(RoutingContext ctx, String room, boolean expiredIsFine) {
        Optional<String> token = presentedToken(ctx.request());
        if (token.isEmpty()) {
            detail(ctx.response(), 401, "Missing queue token: send it in the jwt header");
            return Optional.empty();
        }
        if (token.get().length() > MAX_CREDENTIAL_CHARS) {
            detail(ctx.response(), 401, "Invalid queue token");
            return Optional.empty();
        }
        QueueTokens.Checked checked = tokens.check(token.get(), room);
        return switch (checked.verdict()) {
            case VALID -> Optional.of(checked);
            case EXPIRED -> {
                if (!expiredIsFine) {
                    detail(ctx.response(), 401, "Queue token expired: poll /queue/status for a new one");
                    yield Optional.empty();
                }
                yield Optional.of(checked);
            }
            case INVALID -> {
                detail(ctx.response(), 401, "Invalid queue token");
                yield Optional.empty();
            }
        };
    }

    private static Optional<String> presentedToken(HttpServerRequest request) {
        String jwt = request.getHeader("jwt");
        if (jwt != null && !jwt.isBlank()) {
            return Optional.of(jwt.trim());
        }
        String authorization = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String bearer = authorization.substring(7).trim();
            return bearer.isEmpty() ? Optional.empty() : Optional.of(bearer);
        }
        return Optional.empty();
    }

    private static @Nullable String firstHeader(HttpServerRequest request, String... names) {
        for (String name : names) {
            String value = request.getHeader(name);
            if (value != null) {
                return value.trim();
            }
        }
        return null;
    }

    /**
     * Where a visitor of a page without JavaScript stands: its standing, the token to keep (renewed
     * when the one held had expired, new when it held none; empty for a user who was queued already
     * and held none), the room's config, and the estimate.
     */
    record Visit(Standing standing, String user, String token, RoomConfig config, OptionalLong etaSeconds) {

        /** A visitor who holds no place and has not asked for one yet (no token, unknown). */
        static Visit joining(String user, RoomConfig config) {
            return new Visit(Standing.UNKNOWN, user, "", config, OptionalLong.empty());
        }

        boolean joining() {
            return token.isEmpty() && standing.state() == QueueState.State.UNKNOWN;
        }
    }

    /**
     * A visit of {@code room}'s no-JavaScript page: with a valid (or only expired) {@code token} of
     * the room, the holder's standing (a status poll); else, when {@code mayEnqueue} (a POST: a
     * visitor's own click, never a link preview's GET), {@code newUser} enqueued, or a {@link
     * Visit#joining} visit. Both within the
     * room's per-IP limits; a refusal (429, 503) is answered here and {@code then} is not called.
     */
    void visit(
            RoutingContext ctx,
            String room,
            @Nullable String token,
            @Nullable String askedUser,
            String newUser,
            boolean mayEnqueue,
            Refusal refusal,
            Consumer<Visit> then) {
        Optional<String> held = (token == null || token.length() > MAX_CREDENTIAL_CHARS
                        ? Optional.<QueueTokens.Checked>empty()
                        : Optional.of(tokens.check(token, room)))
                .filter(c -> c.verdict() != QueueTokens.Verdict.INVALID)
                .flatMap(QueueTokens.Checked::user)
                .filter(user -> askedUser == null || askedUser.equals(user)); // another user's cookie: not theirs
        withConfig(ctx, room, refusal, config -> {
            long now = clock.epochMillis();
            if (held.isEmpty()) {
                if (mayEnqueue) {
                    enqueueVisitor(ctx, room, askedUser == null ? newUser : askedUser, config, now, refusal, then);
                } else {
                    then.accept(Visit.joining(askedUser == null ? "" : askedUser, config));
                }
                return;
            }
            String user = held.get();
            AddressLimit limit = AddressLimit.status(clientAddress(ctx), config);
            whenMade(ctx, room, limit, refusal, () -> calls.status(room, user, now, limit), standing -> {
                if (standing.state() == QueueState.State.UNKNOWN) {
                    // lapsed or finished: queued again, at the back, as the JavaScript page rejoins
                    if (mayEnqueue) {
                        enqueueVisitor(ctx, room, user, config, now, refusal, then);
                    } else {
                        then.accept(Visit.joining(user, config));
                    }
                } else {
                    String kept = tokenFor(room, user, standing, config);
                    then.accept(new Visit(standing, user, kept, config, eta(room, standing, config)));
                }
            });
        });
    }

    private void enqueueVisitor(
            RoutingContext ctx,
            String room,
            String user,
            RoomConfig config,
            long now,
            Refusal refusal,
            Consumer<Visit> then) {
        if (config.powDifficulty() > 0) { // a page without JavaScript cannot do the work; no way around it
            refusal.send(
                    ctx.response(),
                    403,
                    "This room asks the browser for a small computation before it queues anyone, which needs"
                            + " JavaScript: open the waiting page with JavaScript on.");
            return;
        }
        AddressLimit limit = AddressLimit.enqueue(clientAddress(ctx), config);
        whenMade(ctx, room, limit, refusal, () -> calls.enqueue(room, user, now, limit), enqueued -> {
            if (enqueued.added() && config.maxActiveUsers() > 0) {
                admissions.nudge(room);
            }
            Standing standing = enqueued.standing();
            // as the JSON route: a user queued already gets no token (whoever knows an id cannot take its
            // place)
            String issued = enqueued.added() ? tokenFor(room, user, standing, config) : "";
            then.accept(new Visit(standing, user, issued, config, eta(room, standing, config)));
        });
    }

    /**
     * The token a known user of {@code room} holds from now: under EdDSA a ready user's pass (the
     * {@code rdy} claim, expiring with the ready time), which a backend checks offline; else a fresh
     * token.
     */
    private String tokenFor(String room, String user, Standing standing, RoomConfig config) {
        return standing.isReady() && tokens.algorithm() == QueueTokens.Algorithm.EDDSA
                ? tokens.issueReady(room, user, config.jwtExpirySeconds(), standing.readyUntilMillis() / 1000)
                : tokens.issue(room, user, config.jwtExpirySeconds());
    }

    private OptionalLong eta(String room, Standing standing, RoomConfig config) {
        return standing.state() == QueueState.State.QUEUED
                ? admissions.estimatedWaitSeconds(room, standing.position(), config)
                : OptionalLong.empty();
    }

    /** The ticket id under which {@code user} takes part in {@code room}'s draw. */
    String drawTicket(String room, String user) {
        return tokens.drawTicket(room, user);
    }

    /** Runs {@code then} with the room's config, read at most a second ago. */
    private void withConfig(RoutingContext ctx, String room, Consumer<RoomConfig> then) {
        withConfig(ctx, room, RoomApi::detail, then);
    }

    private void withConfig(RoutingContext ctx, String room, Refusal refusal, Consumer<RoomConfig> then) {
        long now = clock.epochMillis();
        RoomConfig fresh = configs.fresh(room, now);
        if (fresh != null) {
            then.accept(fresh);
            return;
        }
        configs.read(room, now).whenComplete((config, failure) -> {
            if (failure != null) {
                failed(ctx, failure, refusal);
                return;
            }
            then.accept(config);
        });
    }

    /** A refusal's writer: the room's JSON ({@code detail}), or a page's own. */
    @FunctionalInterface
    interface Refusal {
        void send(HttpServerResponse response, int status, String message);
    }

    /**
     * Runs {@code then} with the result of {@code call}, a visitor's call behind {@code limit}, once
     * it was made; answers 503 when the store did not answer, 429 when the limit refused it.
     */
    private <T> void whenMade(
            RoutingContext ctx,
            String room,
            AddressLimit limit,
            Refusal refusal,
            Supplier<CompletionStage<VisitorCalls.Limited<T>>> call,
            Consumer<T> then) {
        stage(call).whenComplete((limited, failure) -> {
            if (failure != null) {
                failed(ctx, failure, refusal);
            } else if (passed(ctx, room, limit, limited.decision(), refusal)) {
                then.accept(limited.result().orElseThrow());
            }
        });
    }

    /**
     * Runs {@code then} when the client's address is within {@code limit} (or the limit could not
     * be decided: the call's own bounds still hold); answers 429 otherwise.
     */
    private void limited(RoutingContext ctx, String room, AddressLimit limit, Refusal refusal, Runnable then) {
        stage(() -> calls.limit(room, limit)).whenComplete((decision, failure) -> {
            if (passed(ctx, room, limit, failure == null ? decision : Optional.empty(), refusal)) {
                then.run();
            }
        });
    }

    /**
     * Whether a call may go on after {@code decision} of its address's {@code limit}: its {@code
     * RateLimit} headers written, or 429 answered with when to retry. No decision (the limiter could
     * not answer) lets it go on.
     */
    private boolean passed(
            RoutingContext ctx, String room, AddressLimit limit, Optional<Decision> decision, Refusal refusal) {
        if (decision.isEmpty()) {
            LOG.debug("room {}: per-IP {} limit not checked", room, limit.kind().wireName());
            return true;
        }
        String kind = limit.kind().wireName();
        HttpServerResponse response = ctx.response();
        if (decision.get().allowed()) {
            RateLimitHeaders.write(
                    response.headers(), "ip_" + kind, limit.limit(), limit.intervalSeconds(), decision.get(), 0);
            return true;
        }
        long retry = decision.get().nanosUntilRetry() == Decision.NEVER
                ? limit.intervalSeconds()
                : Math.max(1, RateLimitFields.ceilSeconds(decision.get().nanosUntilRetry()));
        RateLimitHeaders.write(
                response.headers(), "ip_" + kind, limit.limit(), limit.intervalSeconds(), decision.get(), retry);
        refusal.send(
                response,
                429,
                "Too many " + kind + " requests from this IP: at most " + limit.limit() + " per "
                        + limit.intervalSeconds() + " s; retry in " + retry + " s");
        return false;
    }

    private String clientAddress(RoutingContext ctx) {
        return ClientAddress.of(ctx.request(), trustedProxyHops);
    }

    /** {@code call}'s stage, or a failed one when it throws instead of failing its stage. */
    private static <T> CompletionStage<T> stage(Supplier<CompletionStage<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void audit(AuditEvent event) {
        store.audit(List.of(event)).whenComplete((done, failure) -> {
            if (failure != null) {
                auditDownLog.warn("room " + event.tenantId(), failure);
            }
        });
    }

    private void failed(RoutingContext ctx, @Nullable Throwable failure) {
        failed(ctx, failure, RoomApi::detail);
    }

    /**
     * Answers a stage that failed: 503 with {@code Retry-After} when a store did not answer (logged once
     * in a while), 500 for any other failure, a fault of the stored state or of the code (logged each
     * time, with its trace: a retry would not mend it).
     */
    private void failed(RoutingContext ctx, @Nullable Throwable failure, Refusal refusal) {
        String route =
                ctx.request().method() + " " + ClientText.shorten(ctx.request().path());
        Throwable cause = failure == null ? null : Failures.cause(failure);
        if (cause != null
                && !(cause instanceof RoomStoreUnavailableException)
                && !(cause instanceof LimiterUnavailableException)) {
            LOG.error("{}: unexpected failure", route, cause);
            refusal.send(ctx.response(), 500, "Internal Server Error");
            return;
        }
        storeDownLog.warn(route, failure);
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
        refusal.send(ctx.response(), 503, "The waiting room's store is unavailable; retry shortly");
    }

    private static void detail(HttpServerResponse response, int status, String message) {
        ErrorStyle.DETAIL.send(response, status, message);
    }
}
