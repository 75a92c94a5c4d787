package dev.gatehouse.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Reads the answers of asynchronous ports in tests. Shared with other modules' tests. */
public final class Stages {

    /**
     * The longest a test waits for a stage that another thread completes: a guard against a hang,
     * never a timing the test depends on.
     */
    public static final Duration PATIENCE = Duration.ofSeconds(10);

    private Stages() {}

    /** The value of {@code stage}, which must be complete already (answered on the calling thread). */
    public static <T> T now(CompletionStage<T> stage) {
        CompletableFuture<T> future = stage.toCompletableFuture();
        if (!future.isDone()) {
            throw new AssertionError("the stage is not complete on return: " + stage);
        }
        return await(future);
    }

    /** The value of {@code stage}, waiting for it at most {@link #PATIENCE}; rethrows its failure's cause. */
    public static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(PATIENCE.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            if (e.getCause() instanceof Error cause) {
                throw cause;
            }
            throw new AssertionError("the stage failed", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + PATIENCE, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for an answer", e);
        }
    }

    /** Why {@code stage} failed (the cause, unwrapped), waiting at most {@link #PATIENCE}; an error if it succeeds. */
    public static Throwable failure(CompletionStage<?> stage) {
        Object value;
        try {
            value = stage.toCompletableFuture().get(PATIENCE.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            return Objects.requireNonNullElse(e.getCause(), e); // a future's ExecutionException has one
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + PATIENCE, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for an answer", e);
        }
        throw new AssertionError("expected the stage to fail, but it answered " + value);
    }
}
