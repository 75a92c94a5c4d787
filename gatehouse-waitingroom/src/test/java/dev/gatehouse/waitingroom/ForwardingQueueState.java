package dev.gatehouse.waitingroom;

import java.util.concurrent.CompletionStage;

/** A {@link QueueState} passing every call to another, for tests to change one call. */
class ForwardingQueueState implements QueueState {

    private final QueueState delegate;

    ForwardingQueueState(QueueState delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletionStage<RoomConfig> config(String room) {
        return delegate.config(room);
    }

    @Override
    public CompletionStage<Void> configure(String room, RoomConfig config, long nowMillis) {
        return delegate.configure(room, config, nowMillis);
    }

    @Override
    public CompletionStage<Boolean> configureIfUnchanged(
            String room, RoomConfig expected, RoomConfig config, long nowMillis) {
        return delegate.configureIfUnchanged(room, expected, config, nowMillis);
    }

    @Override
    public CompletionStage<Boolean> configureIfAbsent(String room, RoomConfig config) {
        return delegate.configureIfAbsent(room, config);
    }

    @Override
    public CompletionStage<Enqueued> enqueue(String room, String user, long nowMillis) {
        return delegate.enqueue(room, user, nowMillis);
    }

    @Override
    public CompletionStage<Standing> status(String room, String user, long nowMillis) {
        return delegate.status(room, user, nowMillis);
    }

    @Override
    public CompletionStage<Standing> standing(String room, String user, long nowMillis) {
        return delegate.standing(room, user, nowMillis);
    }

    @Override
    public CompletionStage<Standing> touch(String room, String user, long nowMillis) {
        return delegate.touch(room, user, nowMillis);
    }

    @Override
    public CompletionStage<Finish> finish(String room, String user, long nowMillis) {
        return delegate.finish(room, user, nowMillis);
    }

    @Override
    public CompletionStage<Advance> advance(String room, long nowMillis) {
        return delegate.advance(room, nowMillis);
    }

    @Override
    public CompletionStage<java.util.List<Admitted>> admit(String room, long count, long nowMillis) {
        return delegate.admit(room, count, nowMillis);
    }

    @Override
    public CompletionStage<RoomStats> stats(String room, long nowMillis) {
        return delegate.stats(room, nowMillis);
    }

    @Override
    public CompletionStage<Boolean> startPrequeue(String room) {
        return delegate.startPrequeue(room);
    }

    @Override
    public CompletionStage<Prequeue> prequeue(String room) {
        return delegate.prequeue(room);
    }

    @Override
    public CompletionStage<java.util.Optional<java.util.List<String>>> closePrequeue(String room) {
        return delegate.closePrequeue(room);
    }

    @Override
    public CompletionStage<Boolean> placeDrawn(
            String room, java.util.List<String> drawn, boolean last, long nowMillis) {
        return delegate.placeDrawn(room, drawn, last, nowMillis);
    }

    @Override
    public CompletionStage<DrawFiles> keepCommit(String room, String commit, String tickets) {
        return delegate.keepCommit(room, commit, tickets);
    }

    @Override
    public CompletionStage<DrawFiles> keepRecord(String room, String record) {
        return delegate.keepRecord(room, record);
    }

    @Override
    public CompletionStage<java.util.Optional<DrawFiles>> draw(String room) {
        return delegate.draw(room);
    }

    @Override
    public CompletionStage<java.util.Optional<String>> drawRecord(String room) {
        return delegate.drawRecord(room);
    }
}
