package dev.gatehouse.server.room;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.pow.Challenge;
import dev.gatehouse.proof.pow.PowSpec;
import dev.gatehouse.proof.pow.PowVerdict;
import dev.gatehouse.proof.pow.ProofOfWork;
import dev.gatehouse.proof.secret.HmacSecrets;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The proof of work a room asks of a visitor before queueing them ({@code pow_difficulty}): SHA-256
 * challenges of gatehouse-proof, signed under a key of the room's own derived from {@code
 * JWT_SECRET} (so a challenge solved for one room is no solution at another, and every replica
 * derives the same key), each solution spent once in the nonce store (Redis's with a Redis store:
 * once across every replica). A challenge lives five minutes; one issued before the room raised its
 * difficulty is still taken until then.
 */
final class RoomWork {

    /** How long a challenge may be solved. */
    static final Duration CHALLENGE_TTL = Duration.ofMinutes(5);

    private static final byte[] LABEL = "gatehouse room proof of work v1\n".getBytes(StandardCharsets.US_ASCII);

    private record Issuer(long difficulty, ProofOfWork work) {}

    private final SecretKeySpec secret;
    private final NonceStore nonces;
    private final WallClock clock;
    private final ConcurrentHashMap<String, Issuer> byRoom = new ConcurrentHashMap<>(); // one per tenant at most

    RoomWork(String jwtSecret, NonceStore nonces, WallClock clock) {
        this.secret = new SecretKeySpec(jwtSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.nonces = nonces;
        this.clock = clock;
    }

    /** A new challenge of {@code room} at {@code difficulty} leading zero bits (at least 1). */
    Challenge issue(String room, long difficulty) {
        return of(room, difficulty).issue(0);
    }

    /** Checks a solution to a challenge of {@code room}, and spends it when it is one. */
    CompletionStage<PowVerdict> verify(String room, long difficulty, String id, String nonceHex) {
        return of(room, difficulty).verifyHex(id, nonceHex);
    }

    private ProofOfWork of(String room, long difficulty) {
        Issuer held = byRoom.get(room); // the usual case, without compute's lock on the room's bin
        if (held != null && held.difficulty() == difficulty) {
            return held.work();
        }
        return byRoom.compute(
                        room,
                        (name, current) -> current != null && current.difficulty() == difficulty
                                ? current
                                : new Issuer(
                                        difficulty,
                                        ProofOfWork.sha256(
                                                PowSpec.of((int) difficulty, (int) difficulty, CHALLENGE_TTL),
                                                HmacSecrets.of(roomKey(name)),
                                                nonces,
                                                clock)))
                .work();
    }

    private byte[] roomKey(String room) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(secret);
            mac.update(LABEL);
            return mac.doFinal(room.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
