package dev.gatehouse.waitingroom;

import org.jspecify.annotations.Nullable;

/**
 * A store the waiting room keeps its state in (the queues, the proof-of-work nonces) did not answer:
 * no answer in time, no connection, or a server that cannot serve now; or the store in memory holds
 * as many users as its share of the heap allows ({@link MemoryQueueState}). Worth a retry shortly; any
 * other failure of a stage is a fault of the stored state or of the code, which a retry does not mend.
 */
public final class RoomStoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RoomStoreUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
