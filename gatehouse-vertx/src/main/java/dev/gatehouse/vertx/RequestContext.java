package dev.gatehouse.vertx;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/** Answers written where the request lives, whichever thread completed the work they wait for. */
public final class RequestContext {

    private RequestContext() {}

    /**
     * Handles {@code stage}'s outcome on the calling request's Vert.x context: a store in Redis answers
     * on its client's threads, a hash pool on its own, and the answer is written on the request's
     * event loop. Call it from the request's handler.
     */
    @SuppressWarnings("ReferenceEquality") // the same context object: already where the request lives
    public static <T> void whenComplete(CompletionStage<T> stage, BiConsumer<@Nullable T, @Nullable Throwable> then) {
        Context context = Vertx.currentContext();
        stage.whenComplete((value, failure) -> {
            if (context == null || Vertx.currentContext() == context) {
                then.accept(value, failure);
            } else {
                context.runOnContext(v -> then.accept(value, failure));
            }
        });
    }
}
