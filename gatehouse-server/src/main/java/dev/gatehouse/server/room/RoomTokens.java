package dev.gatehouse.server.room;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.waitingroom.QueueTokens;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The room's queue tokens as its settings ask: HS256 over {@code room.jwt-secret}, or EdDSA under
 * {@code room.token-signing-key} (a key made for this process when it is empty, which a log line
 * says replicas cannot share).
 */
final class RoomTokens {

    private static final Logger LOG = LoggerFactory.getLogger(RoomTokens.class);

    private RoomTokens() {}

    static QueueTokens of(RoomSettings settings, WallClock clock) {
        if (settings.tokenAlgorithm() == QueueTokens.Algorithm.HS256) {
            return new QueueTokens(settings.jwtSecret(), clock);
        }
        String seed = settings.tokenSigningKey();
        SigningKey key = SigningKey.fromSeed(
                seed.isEmpty() ? SigningKey.generateSeed() : HexFormat.of().parseHex(seed));
        QueueTokens tokens = QueueTokens.eddsa(settings.jwtSecret(), key, clock);
        String kid = tokens.keyId().orElseThrow();
        if (seed.isEmpty()) {
            LOG.warn(
                    "queue tokens are signed with an Ed25519 key made for this process (kid {}): replicas sharing"
                            + " rooms must share room.token-signing-key, and tokens issued before a restart no longer"
                            + " check",
                    kid);
        } else {
            LOG.info("queue tokens are signed with EdDSA (kid {}); {} serves the public key", kid, Jwks.PATH);
        }
        return tokens;
    }
}
