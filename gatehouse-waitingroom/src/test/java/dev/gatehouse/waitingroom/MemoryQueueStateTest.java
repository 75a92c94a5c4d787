package dev.gatehouse.waitingroom;

import dev.gatehouse.testing.room.QueueStateContract;

class MemoryQueueStateTest extends QueueStateContract {

    @Override
    protected QueueState newState() {
        return new MemoryQueueState();
    }
}
