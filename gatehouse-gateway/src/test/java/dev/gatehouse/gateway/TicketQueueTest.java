package dev.gatehouse.gateway;

import static dev.gatehouse.testing.Stages.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.waitingroom.MemoryQueueState;
import dev.gatehouse.waitingroom.QueueState;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

final class TicketQueueTest {

    /** Opens asked for while one runs share its run and its answer: the draw is computed once. */
    @Test
    void opensAskedForWhileOneRunsShareIt() {
        MemoryQueueState memory = new MemoryQueueState();
        AtomicInteger closes = new AtomicInteger();
        CompletableFuture<Void> release = new CompletableFuture<>();
        QueueState held = (QueueState) Proxy.newProxyInstance(
                QueueState.class.getClassLoader(), new Class<?>[] {QueueState.class}, (proxy, method, args) -> {
                    Object answer;
                    try {
                        answer = method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("closePrequeue")) {
                        closes.incrementAndGet();
                        return release.thenCompose(v -> (CompletionStage<?>) answer);
                    }
                    return answer;
                });
        ManualClock clock = new ManualClock(1_767_225_600L * 1_000_000_000L);
        GatewayConfig.Queue config = new GatewayConfig.Queue(
                "ecvrf",
                0,
                Duration.ofSeconds(1),
                0,
                Duration.ofMinutes(10),
                "r",
                "11".repeat(32),
                "22".repeat(32),
                null);
        try (TicketQueue queue = TicketQueue.start(config, held, clock, clock)) {
            for (int i = 0; i < 3; i++) {
                await(queue.enqueue());
            }
            List<CompletionStage<TicketQueue.Opened>> opens = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                opens.add(queue.open());
            }
            release.complete(null);

            TicketQueue.Opened first = await(opens.getFirst());
            assertThat(first.tickets()).isEqualTo(3);
            for (CompletionStage<TicketQueue.Opened> open : opens) {
                assertThat(await(open)).isSameAs(first);
            }
            assertThat(closes).hasValue(1);
        }
    }
}
