package dev.gatehouse.waitingroom;

import dev.gatehouse.core.internal.Failures;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the rooms' events ({@link RoomConfig#hasEvent}): from {@code prequeue_opens_at} a room's
 * pre-queue is open (its users are registered), and at {@code opens_at} its draw runs ({@link
 * RoomDraw#open}) and the drawn order is queued. {@link Admissions} runs it before each advance of a
 * room, so at most a second late; every replica does, and the store's pre-queue and kept draw make
 * each step happen once. A room holds one event in its life.
 */
public final class RoomEvents implements Admissions.BeforeAdvance {

    private static final Logger LOG = LoggerFactory.getLogger(RoomEvents.class);

    private final QueueState state;
    private final Function<String, RoomDraw> draws;
    private final RoomConfigs configs;
    private final Set<String> ended = ConcurrentHashMap.newKeySet();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();

    /** The events of the rooms in {@code state}, their configs from {@code configs}, each drawn by {@code draws.apply(room)}. */
    public RoomEvents(QueueState state, RoomConfigs configs, Function<String, RoomDraw> draws) {
        this.state = state;
        this.configs = configs;
        this.draws = draws;
    }

    /** Does what {@code room}'s event needs at {@code nowMillis}; failures are logged, never passed on. */
    @Override
    public CompletionStage<@Nullable Void> run(String room, long nowMillis) {
        if (ended.contains(room)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletionStage<@Nullable Void> step;
        try {
            step = configs.get(room, nowMillis).thenCompose(config -> due(room, config, nowMillis));
        } catch (RuntimeException e) {
            step = CompletableFuture.failedStage(e);
        }
        return step.handle((done, failure) -> {
            if (failure == null) {
                if (failing.remove(room)) {
                    LOG.info("room {}: event steps run again", room);
                }
            } else if (failing.add(room)) {
                LOG.warn(
                        "room {}: the event's step failed, retrying: {}",
                        room,
                        Failures.cause(failure).toString());
            }
            return null;
        });
    }

    private CompletionStage<@Nullable Void> due(String room, RoomConfig cached, long nowMillis) {
        if (!cached.hasEvent() || nowMillis < cached.prequeueOpensAtMillis()) {
            return CompletableFuture.completedFuture(null);
        }
        // a step may be due: act on the config as it is now (another replica may have moved the event)
        return configs.read(room, nowMillis).thenCompose(config -> act(room, config, nowMillis));
    }

    private CompletionStage<@Nullable Void> act(String room, RoomConfig config, long nowMillis) {
        boolean opens = !config.hasEvent() || nowMillis >= config.opensAtMillis();
        return state.prequeue(room).thenCompose(phase -> switch (phase) {
            case NONE ->
                config.hasEvent() && nowMillis >= config.prequeueOpensAtMillis()
                        ? state.startPrequeue(room).thenCompose(started -> opens ? open(room, nowMillis) : done())
                        : done();
            // without an event (removed meanwhile) a running pre-queue is drawn now: its users are not left waiting
            case OPEN, CLOSED -> opens ? open(room, nowMillis) : done();
            case ENDED -> {
                ended.add(room);
                yield done();
            }
        });
    }

    private CompletionStage<@Nullable Void> open(String room, long nowMillis) {
        return draws.apply(room).open(nowMillis).handle((opened, failure) -> {
            if (failure == null) {
                LOG.info("room {}: the event opened: {} drawn", room, opened.tickets());
                if (opened.drawn()) {
                    ended.add(room);
                }
                return null;
            }
            if (Failures.cause(failure) instanceof RoomDraw.RefusedException refused && refused.noPrequeue()) {
                return null; // another replica ended the pre-queue meanwhile: nothing left to do here
            }
            throw new CompletionException(Failures.cause(failure));
        });
    }

    private static CompletionStage<@Nullable Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
