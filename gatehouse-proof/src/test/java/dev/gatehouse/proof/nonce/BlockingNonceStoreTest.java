package dev.gatehouse.proof.nonce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gatehouse.testing.Stages;
import dev.gatehouse.testing.nonce.HeldNonceStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BlockingNonceStoreTest {

    private final HeldNonceStore held = new HeldNonceStore();

    @Test
    void storeThatDoesNotAnswerInTime_isUnavailable_namingTheWait() {
        BlockingNonceStore blocking = held.blocking(Duration.ofNanos(1));

        assertThatThrownBy(() -> blocking.putIfAbsent("a", Long.MAX_VALUE))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessage("nonce store: no answer within PT0.000000001S");
        assertThatThrownBy(() -> blocking.contains("a")).isInstanceOf(NonceStoreUnavailableException.class);
        assertThat(held.untaken()).isEqualTo(2);
    }

    @Test
    void storeThatCannotAnswer_throwsItsException() {
        BlockingNonceStore blocking = held.blocking(Stages.PATIENCE);
        NonceStoreUnavailableException timedOut = new NonceStoreUnavailableException("Redis timed out");
        Thread.ofPlatform().start(() -> held.next().fail(timedOut));

        assertThatThrownBy(() -> blocking.putIfAbsent("a", Long.MAX_VALUE)).isSameAs(timedOut);
    }

    @Test
    void answerFromAnotherThread_isReturned() {
        BlockingNonceStore blocking = held.blocking(Stages.PATIENCE);
        Thread.ofPlatform().start(() -> held.next().answer(true));

        assertThat(blocking.putIfAbsent("a", Long.MAX_VALUE)).isTrue();
    }

    @Test
    void interruptedWhileWaiting_isUnavailable_andKeepsTheInterrupt() {
        BlockingNonceStore blocking = held.blocking(Stages.PATIENCE);
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> blocking.contains("a"))
                    .isInstanceOf(NonceStoreUnavailableException.class)
                    .hasMessage("nonce store: interrupted while waiting for an answer");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void cancelledAnswer_isUnavailable() {
        BlockingNonceStore blocking = held.blocking(Stages.PATIENCE);
        Thread.ofPlatform().start(() -> held.next().answer().cancel(false));

        assertThatThrownBy(() -> blocking.contains("a"))
                .isInstanceOf(NonceStoreUnavailableException.class)
                .hasMessage("nonce store: the answer was cancelled");
    }
}
