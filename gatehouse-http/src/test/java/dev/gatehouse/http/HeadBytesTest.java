package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HeadBytesTest {

    private static final HttpLimits LIMITS =
            new HttpLimits(16_384, 100, 8_192, 1 << 20, 100, 1_000, 5_000, 30_000, 30_000, 60_000, 1_000, 0, 1, false);

    /** A connection as a listener sets one up: the guard's raw side, Netty's HTTP codec, its message side. */
    private static EmbeddedChannel connection(HeadBytes heads) {
        ConnectionGuard guard = new ConnectionGuard(LIMITS, heads);
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.pipeline().addLast("guard", guard.rawSide());
        channel.pipeline().addLast(new HttpServerCodec());
        channel.pipeline().addLast(ConnectionGuard.MESSAGE_SIDE_NAME, guard.messageSide());
        return channel;
    }

    private static void send(EmbeddedChannel channel, String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    @Test
    void aHeadThatWouldPassTheBoundOfAllHeadsComingInClosesItsConnection() {
        HeadBytes heads = new HeadBytes(1_000);
        String started = "GET /a HTTP/1.1\r\nHost: x\r\nX-Pad: " + "p".repeat(550);
        EmbeddedChannel first = connection(heads);
        send(first, started);
        assertThat(first.isOpen()).isTrue();
        assertThat(heads.held()).isEqualTo(started.length());

        EmbeddedChannel second = connection(heads);
        send(second, "GET /b HTTP/1.1\r\nX-Pad: " + "p".repeat(500));
        assertThat(second.isOpen()).as("past the bound of every head coming in").isFalse();
        assertThat(heads.held()).isEqualTo(started.length());

        send(first, "\r\n\r\n"); // its head is whole: its bytes no longer count
        Object request = first.readInbound();
        assertThat(request).isInstanceOf(HttpRequest.class);
        assertThat(heads.held()).isZero();

        EmbeddedChannel third = connection(heads);
        send(third, "GET /b HTTP/1.1\r\nX-Pad: " + "p".repeat(500));
        assertThat(third.isOpen()).isTrue();
        third.close(); // a head that never ends counts until its connection goes
        assertThat(heads.held()).isZero();
        first.finishAndReleaseAll();
        second.finishAndReleaseAll();
    }

    /** Threads taking and giving back at once: never more than the bound held, all given back at the end. */
    @Test
    void takesFromManyThreadsNeverPassTheBound() throws Exception {
        long bound = 10_000;
        HeadBytes heads = new HeadBytes(bound);
        AtomicLong highest = new AtomicLong();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            long seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < 50_000; i++) {
                    long bytes = 1 + random.nextInt(2_000);
                    if (heads.take(bytes)) {
                        highest.accumulateAndGet(heads.held(), Math::max);
                        heads.give(bytes);
                    }
                }
            }));
        }
        start.countDown();
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(highest.get()).isLessThanOrEqualTo(bound).isPositive();
        assertThat(heads.held()).isZero();
    }
}
