package dev.gatehouse.gateway;

import dev.gatehouse.core.limit.Decision;
import dev.gatehouse.core.time.NanoClock;
import dev.gatehouse.core.time.Scheduler;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.waitingroom.Admissions;
import dev.gatehouse.waitingroom.QueueState;
import dev.gatehouse.waitingroom.QueueState.Standing;
import dev.gatehouse.waitingroom.QueueTokens;
import dev.gatehouse.waitingroom.RoomConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * The waiting room in front of the site ({@code waiting_room}): one room of the gateway's queue
 * state, so its line and its seats are shared by every replica on one Redis. A visitor joins the
 * line, waits until admitted, and then holds a <em>seat</em> — the room's ready time, which every
 * visit moves on ({@link QueueState#touch}), so that a seat idles out when its visitor has not been
 * seen for a session. The seat is carried by a cookie signed with the admission secret (see {@link
 * #seat}); queue tokens (the page's, GatekeeperAPI's wire) are signed with a key derived from it.
 */
final class SiteRoom implements AutoCloseable {

    /** The room's name in the queue state (under the store's key prefix). */
    static final String ROOM = "site";

    /** The seat cookie's name. */
    static final String SEAT_COOKIE = "gatehouse_seat";

    /** The longest queue token read. */
    private static final int MAX_TOKEN_CHARS = 4_096;

    /** How long a queue token lives; the page renews it as it polls. */
    static final long TOKEN_SECONDS = 300;

    /** The longest seat cookie read: a time, a user id of 256 characters in base64url, a MAC. */
    private static final int MAX_SEAT_CHARS = 420;

    /** A visitor seen within this part of a session keeps the seat without a store call. */
    private static final int TOUCHES_PER_SESSION = 10;

    /** What a visit's seat cookie came to: a seat or none, and a renewed cookie to set. */
    record Seat(boolean held, @Nullable String renewedCookie) {
        static final Seat NONE = new Seat(false, null);
        static final Seat KEPT = new Seat(true, null);
    }

    /** A seat cookie's contents, once its MAC is checked. */
    record SeatHolder(String user, long touchedSecond) {}

    private final GatewayConfig.WaitingRoom config;
    private final RoomConfig roomConfig;
    private final ProtectedPaths paths;
    private final QueueState state;
    private final WallClock clock;
    private final Admissions admissions;
    private final QueueTokens tokens;
    private final CookieKeys seatKeys;
    private final @Nullable ClientRateLimit joins;
    private final long refreshSeconds;

    private SiteRoom(
            GatewayConfig.WaitingRoom config,
            RoomConfig roomConfig,
            QueueState state,
            WallClock clock,
            Admissions admissions,
            CookieKeys seatKeys,
            @Nullable ClientRateLimit joins) {
        this.config = config;
        this.roomConfig = roomConfig;
        this.paths = new ProtectedPaths(config.paths());
        this.state = state;
        this.clock = clock;
        this.admissions = admissions;
        this.tokens = new QueueTokens(seatKeys.derivedSecret("gatehouse waiting room tokens v1"), clock);
        this.seatKeys = seatKeys;
        this.joins = joins;
        this.refreshSeconds = Math.max(1, config.session().toSeconds() / TOUCHES_PER_SESSION);
    }

    /**
     * The room {@code config} describes in {@code state}, admitting on {@code scheduler}; cookies
     * and tokens are signed with keys derived from {@code seatKeys}' secret.
     */
    static SiteRoom start(
            GatewayConfig.WaitingRoom config,
            QueueState state,
            CookieKeys seatKeys,
            NanoClock nanoClock,
            WallClock clock,
            Scheduler scheduler) {
        RoomConfig room = RoomConfig.DEFAULTS.with(Map.of(
                RoomConfig.Field.ADMISSION_LIMIT, config.admitCount(),
                RoomConfig.Field.ADMISSION_FREQUENCY, config.admitInterval().toSeconds(),
                RoomConfig.Field.MAX_ACTIVE_USERS, config.capacity(),
                RoomConfig.Field.READY_TTL_SECONDS, config.session().toSeconds(),
                RoomConfig.Field.ABANDON_AFTER_SECONDS, config.abandonAfter().toSeconds(),
                RoomConfig.Field.JWT_EXPIRY_SECONDS, TOKEN_SECONDS));
        Admissions admissions = GatewayRooms.start(state, ROOM, room, clock, scheduler);
        ClientRateLimit joins = config.joinsPerMinute() == 0
                ? null
                : new ClientRateLimit(
                        new GatewayConfig.RateLimit(
                                config.joinsPerMinute() / 60.0,
                                config.joinsPerMinute(),
                                Duration.ofMinutes(10),
                                Duration.ofMinutes(1),
                                0),
                        nanoClock,
                        scheduler);
        return new SiteRoom(config, room, state, clock, admissions, seatKeys, joins);
    }

    /** Whether the room stands in front of {@code rawPath}. */
    boolean covers(String rawPath) {
        return paths.covers(rawPath);
    }

    GatewayConfig.WaitingRoom config() {
        return config;
    }

    /**
     * A new queue token of {@code user} for the client {@code clientKey}: tokens are bound to the
     * client that joined (as their tenant), so a token or a pass copied to another client is no
     * token there, and one visitor's turn seats nobody else.
     */
    String issue(String user, String clientKey) {
        return tokens.issue(tokenHolder(clientKey), user, TOKEN_SECONDS);
    }

    /** A pass of {@code user}, admitted until {@code readyUntilMillis}, for the client {@code clientKey}. */
    String issuePass(String user, String clientKey, long readyUntilMillis) {
        return tokens.issueReady(tokenHolder(clientKey), user, TOKEN_SECONDS, readyUntilMillis / 1000);
    }

    /** {@code token} checked as one of the client {@code clientKey}'s: another client's is invalid. */
    QueueTokens.Checked check(String token, String clientKey) {
        return token.length() > MAX_TOKEN_CHARS
                ? new QueueTokens.Checked(QueueTokens.Verdict.INVALID, Optional.empty())
                : tokens.check(token, tokenHolder(clientKey));
    }

    /** Whether the line is full, as the last admission round counted it (a second old at most). */
    boolean lineFull() {
        return stats().map(s -> s.queued() >= config.maxLine()).orElse(false);
    }

    /** The token holder of a client: the room and a MAC of the client's key (which may be an address). */
    private String tokenHolder(String clientKey) {
        return ROOM + ":" + seatKeys.sign("token holder", clientKey);
    }

    /**
     * What {@code cookie} (the seat cookie's value, or null) holds for the client {@code clientKey}:
     * a seat seen within a tenth of the session is kept as it is; an older one is touched in the
     * store, and renewed (a new cookie) while the seat lasts; a cookie that is not ours, another
     * client's, or whose seat has gone holds none.
     */
    CompletionStage<Seat> seat(@Nullable String cookie, String clientKey, boolean secure) {
        SeatHolder holder = cookie == null ? null : holder(cookie, clientKey);
        if (holder == null) {
            return CompletableFuture.completedFuture(Seat.NONE);
        }
        long now = clock.epochMillis();
        if (Math.floorDiv(now, 1000) - holder.touchedSecond() < refreshSeconds) {
            return CompletableFuture.completedFuture(Seat.KEPT);
        }
        return state.touch(ROOM, holder.user(), now)
                .thenApply(standing -> standing.isReady()
                        ? new Seat(true, seatCookie(holder.user(), now, clientKey, secure))
                        : Seat.NONE);
    }

    /**
     * Seats {@code user}, admitted already, for {@code clientKey}: touches the seat and gives its
     * cookie; empty when the user holds no seat (never admitted, or it has gone).
     */
    CompletionStage<Optional<String>> takeSeat(String user, String clientKey, boolean secure) {
        long now = clock.epochMillis();
        return state.touch(ROOM, user, now)
                .thenApply(standing ->
                        standing.isReady() ? Optional.of(seatCookie(user, now, clientKey, secure)) : Optional.empty());
    }

    /** Frees the seat of the cookie {@code cookie} holds for {@code clientKey}, if it holds one. */
    CompletionStage<Void> leave(@Nullable String cookie, String clientKey) {
        SeatHolder holder = cookie == null ? null : holder(cookie, clientKey);
        if (holder == null) {
            return CompletableFuture.completedFuture(null);
        }
        return state.finish(ROOM, holder.user(), clock.epochMillis()).thenApply(finish -> null);
    }

    /** The {@code Set-Cookie} value that ends the seat cookie in the browser. */
    static String endedSeatCookie(boolean secure) {
        return SEAT_COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "");
    }

    /**
     * Whether {@code clientKey} may join the line now (at most {@code joins_per_minute} a minute): 0
     * when it may, else the nanoseconds until it may ({@link Decision#NEVER}: not with this bound).
     */
    CompletionStage<Long> mayJoin(String clientKey) {
        ClientRateLimit limit = joins;
        return limit == null
                ? CompletableFuture.completedFuture(0L)
                : CompletableFuture.completedFuture(allowedIn(limit.take(clientKey)));
    }

    private static long allowedIn(Decision decision) {
        return decision.allowed() ? 0L : Math.max(1, decision.nanosUntilRetry());
    }

    /** Queues {@code user} (or finds where it stands already). */
    CompletionStage<QueueState.Enqueued> enqueue(String user) {
        return state.enqueue(ROOM, user, clock.epochMillis());
    }

    /** Where {@code user} stands, counting as seeing it. */
    CompletionStage<Standing> status(String user) {
        return state.status(ROOM, user, clock.epochMillis());
    }

    /** The estimated wait of the place {@code position}, when the room can tell. */
    OptionalLong estimatedWaitSeconds(long position) {
        return admissions.estimatedWaitSeconds(ROOM, position, roomConfig);
    }

    /** Counts of the room, as the admission loop last saw them (a second old at most). */
    Optional<QueueState.RoomStats> stats() {
        return admissions.stats(ROOM);
    }

    /** The seat cookie's contents when its MAC holds for {@code clientKey}; null for any other text. */
    private @Nullable SeatHolder holder(String cookie, String clientKey) {
        if (cookie.length() > MAX_SEAT_CHARS) {
            return null;
        }
        int first = cookie.indexOf('.');
        int second = first < 0 ? -1 : cookie.indexOf('.', first + 1);
        if (first < 1 || first > 15 || second < 0) {
            return null;
        }
        long touched = 0;
        for (int i = 0; i < first; i++) {
            char c = cookie.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            touched = touched * 10 + (c - '0');
        }
        String encodedUser = cookie.substring(first + 1, second);
        if (!seatKeys.verify(cookie.substring(second + 1), Long.toString(touched), encodedUser, clientKey)) {
            return null;
        }
        try {
            return new SeatHolder(
                    new String(Base64.getUrlDecoder().decode(encodedUser), StandardCharsets.UTF_8), touched);
        } catch (IllegalArgumentException e) {
            return null; // signed by us, so not reached: a MAC over text we did not write would not hold
        }
    }

    /** The {@code Set-Cookie} value of a seat of {@code user}, touched at {@code nowMillis}, for {@code clientKey}. */
    private String seatCookie(String user, long nowMillis, String clientKey, boolean secure) {
        String touched = Long.toString(Math.floorDiv(nowMillis, 1000));
        String encodedUser =
                Base64.getUrlEncoder().withoutPadding().encodeToString(user.getBytes(StandardCharsets.UTF_8));
        String value = touched + "." + encodedUser + "." + seatKeys.sign(touched, encodedUser, clientKey);
        return SEAT_COOKIE + "=" + value + "; Path=/; Max-Age="
                + config.session().toSeconds() + "; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "");
    }

    @Override
    public void close() {
        admissions.close();
        ClientRateLimit limit = joins;
        if (limit != null) {
            limit.close();
        }
    }
}
