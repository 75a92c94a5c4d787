package dev.gatehouse.proof.pow;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** A bounded executor whose tasks wait until the test runs them; past its capacity it rejects, as a full pool does. */
final class ManualExecutor implements Executor {

    private final int capacity;
    private final Queue<Runnable> tasks = new ArrayDeque<>();

    ManualExecutor(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized void execute(Runnable task) {
        if (tasks.size() >= capacity) {
            throw new RejectedExecutionException("full: " + capacity + " tasks wait");
        }
        tasks.add(task);
    }

    /** Tasks waiting to be run. */
    synchronized int waiting() {
        return tasks.size();
    }

    /** Runs the oldest waiting task on the calling thread. */
    void runNext() {
        Runnable task;
        synchronized (this) {
            task = tasks.remove();
        }
        task.run();
    }
}
