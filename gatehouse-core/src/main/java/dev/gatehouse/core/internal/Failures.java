package dev.gatehouse.core.internal;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/** What a failed stage failed with, without the wrapper a dependent stage puts around it. */
public final class Failures {

    private Failures() {}

    /**
     * {@code error} unwrapped from the {@link CompletionException} with which a dependent stage (or
     * {@code join}) reports it; {@code error} itself otherwise.
     */
    public static Throwable cause(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** The value of {@code stage}, waited for; its failure rethrown as it is when unchecked. */
    public static <T> T join(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }
}
