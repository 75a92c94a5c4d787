package dev.gatehouse.waitingroom;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.gatehouse.core.internal.Base64Url;
import dev.gatehouse.core.internal.HmacSha256;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.proof.sign.VerifyingKey;
import dev.gatehouse.waitingroom.draw.TicketList;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;

/**
 * Queue tokens: JWTs with {@code sub} (the user id), {@code tid} (the tenant's id, never its key),
 * {@code iat} and {@code exp}, signed with HS256 over the server's secret (GatekeeperAPI's, the
 * default) or with EdDSA under an Ed25519 key (RFC 8037), whose public half a backend fetches once
 * to check tokens without calling the room. They are written here: the header is a constant, the
 * claims are written by Jackson's generator (a user id escaped as JSON needs), the signature is the
 * keyed {@link HmacSha256} below (not a new {@code Mac} per token) or the {@link SigningKey}'s. A
 * token is accepted only with exactly the header Gatehouse issues ({@code {"alg":"HS256"}}, or
 * {@code {"alg":"EdDSA","kid":"…"}} naming this key, byte for byte), a signature that checks
 * (an HMAC compared in constant time), and claims of those types; {@code alg: none}, the other
 * algorithm, any other header and a missing claim are refused alike.
 *
 * <p>Checking is the hot path of every status poll, so it does not go through a JWT library's parser
 * (nimbus-jose-jwt's reads the header and the claims into maps with its shaded Gson, and looks up a
 * new {@code Mac} per check): the header is compared with the one constant it may be, the segments are decoded only in
 * canonical base64url ({@link Base64Url}: one spelling per token), an HS256 signature is computed from
 * a keyed {@code Mac} cloned per check ({@link HmacSha256}), an EdDSA one checked once per token
 * (below), and the claims are read by a streaming
 * parser that refuses duplicate names. {@code QueueTokensBenchmark} in gatehouse-bench measures both
 * against nimbus-jose-jwt; {@code QueueTokensTest} checks that nimbus's verifier and parser agree with
 * this class on every token it makes.
 */
public final class QueueTokens {

    /*
     * Design of the EdDSA check: an Ed25519 check takes about 77 us (gatehouse-proof's VerifyingKey,
     * BouncyCastle; ProofBenchmark), some seventy HS256 checks, and a status poll presents the same
     * token every few seconds until it expires. So the claims are read first (a token of another room, or of no shape, costs no
     * signature check), and a token whose signature checked is remembered, by a keyed fingerprint
     * of all its characters, in a fixed table of Ed25519Check.SLOTS slots: a poll of a token seen
     * before costs one HMAC, as an HS256 check does. A slot is overwritten by the next token that
     * maps to it (no eviction policy, no lock); only a token whose signature checked is ever put in
     * the table, and a hit needs the whole 32-byte fingerprint to match, so a forged token is never
     * taken for a remembered one. Expiry and the tenant are read from the claims at every check.
     */

    /** The shortest secret accepted, in UTF-8 bytes: HS256 keys must have at least 256 bits. */
    public static final int MIN_SECRET_BYTES = 32;

    /** How a room signs its queue tokens. */
    public enum Algorithm {
        /** HMAC-SHA256 over the secret: GatekeeperAPI's tokens, the default. */
        HS256,
        /** Ed25519 (RFC 8037): anyone with the room's public key checks its tokens. */
        EDDSA
    }

    private static final String TENANT = "tid";

    /** The claim of a ready user's token: until when it is ready, Unix seconds. */
    public static final String READY_UNTIL = "rdy";

    private static final int HS256_SIGNATURE_BYTES = 32;
    private static final int ED25519_SIGNATURE_BYTES = 64;

    private static final JsonFactory CLAIMS_JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Algorithm algorithm;
    /** The encoded header of every token issued, and so of every token accepted, with its dot. */
    private final String headerPrefix;

    private final int signatureBytes;
    private final @Nullable SigningKey signingKey;
    private final HmacSha256 mac;
    private final @Nullable Ed25519Check ed25519;
    private final @Nullable String keyId;
    private final WallClock clock;
    private final HmacSha256 tickets;

    /** What the secret signs to make the key of draw tickets, which is never a token's key. */
    private static final byte[] TICKET_KEY_LABEL = "gatehouse/draw/v1 ticket key".getBytes(StandardCharsets.US_ASCII);

    /**
     * HS256 tokens signed with the UTF-8 bytes of {@code secret}, which must have {@link
     * #MIN_SECRET_BYTES}.
     */
    public QueueTokens(String secret, WallClock clock) {
        this(secret, null, clock);
    }

    /**
     * EdDSA tokens signed with {@code signingKey}; the UTF-8 bytes of {@code secret} (at least
     * {@link #MIN_SECRET_BYTES}) still key the {@link #drawTicket draw tickets}, which must not be
     * public.
     */
    public static QueueTokens eddsa(String secret, SigningKey signingKey, WallClock clock) {
        return new QueueTokens(secret, signingKey, clock);
    }

    private QueueTokens(String secret, @Nullable SigningKey signingKey, WallClock clock) {
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(
                    "the secret has " + key.length + " bytes (expected: >= " + MIN_SECRET_BYTES + ")");
        }
        this.mac = new HmacSha256(key);
        this.clock = clock;
        this.tickets = new HmacSha256(mac.mac(TICKET_KEY_LABEL));
        this.signingKey = signingKey;
        String header;
        if (signingKey == null) {
            this.algorithm = Algorithm.HS256;
            header = "{\"alg\":\"HS256\"}";
            this.signatureBytes = HS256_SIGNATURE_BYTES;
            this.ed25519 = null;
            this.keyId = null;
        } else {
            this.algorithm = Algorithm.EDDSA;
            String kid = thumbprint(signingKey.publicKey());
            this.keyId = kid;
            header = "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\"}"; // a kid is base64url: nothing to escape
            this.signatureBytes = ED25519_SIGNATURE_BYTES;
            this.ed25519 = new Ed25519Check(signingKey.verifyingKey());
        }
        this.headerPrefix = Base64Url.encode(header.getBytes(StandardCharsets.US_ASCII)) + ".";
    }

    /**
     * The RFC 7638 thumbprint of the Ed25519 key {@code raw}: the base64url SHA-256 of its JWK's
     * required members in order, {@code {"crv":"Ed25519","kty":"OKP","x":"…"}}. The same key has the
     * same id on every replica and in every process.
     */
    static String thumbprint(byte[] raw) {
        String jwk = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" + Base64Url.encode(raw) + "\"}";
        try {
            return Base64Url.encode(
                    MessageDigest.getInstance("SHA-256").digest(jwk.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** How this room's tokens are signed. */
    public Algorithm algorithm() {
        return algorithm;
    }

    /** Under EdDSA, the public key that checks the tokens; empty under HS256 (no key is public). */
    public Optional<VerifyingKey> verifyingKey() {
        return Optional.ofNullable(ed25519).map(Ed25519Check::key);
    }

    /** Under EdDSA, the {@code kid} of every token: the key's {@link #thumbprint}; empty under HS256. */
    public Optional<String> keyId() {
        return Optional.ofNullable(keyId);
    }

    /**
     * The ticket id under which {@code user} of {@code tenantId} takes part in the room's draw: the
     * first 16 bytes, in lowercase hex, of HMAC-SHA256 under a key derived from the secret (so every
     * replica derives the same), of the tenant id, a zero byte and the user id. The ticket list is
     * public after a draw; without the secret, it tells nobody which user ids are in it.
     */
    public String drawTicket(String tenantId, String user) {
        byte[] message = (tenantId + '\0' + user).getBytes(StandardCharsets.UTF_8);
        return HexFormat.of().formatHex(tickets.mac(message), 0, TicketList.ID_LENGTH / 2);
    }

    /** A token for {@code user} of {@code tenantId}, valid {@code lifetimeSeconds} from now. */
    public String issue(String tenantId, String user, long lifetimeSeconds) {
        long nowSeconds = Math.floorDiv(clock.epochMillis(), 1000);
        return sign(tenantId, user, nowSeconds, nowSeconds + lifetimeSeconds, OptionalLong.empty());
    }

    /**
     * A token saying that {@code user} of {@code tenantId} is ready until {@code readyUntilSeconds}
     * (Unix seconds): the claim {@value #READY_UNTIL}, and an {@code exp} at that time at the latest
     * ({@code lifetimeSeconds} from now otherwise). Under EdDSA a backend trusts it offline: while it
     * checks, the user was made ready and its ready time has not run out (a finish since then it
     * cannot see).
     */
    public String issueReady(String tenantId, String user, long lifetimeSeconds, long readyUntilSeconds) {
        long nowSeconds = Math.floorDiv(clock.epochMillis(), 1000);
        return sign(
                tenantId,
                user,
                nowSeconds,
                Math.min(nowSeconds + lifetimeSeconds, readyUntilSeconds),
                OptionalLong.of(readyUntilSeconds));
    }

    /** The header, the claims written by Jackson (the user id escaped as JSON needs), and the signature. */
    private String sign(String tenantId, String user, long nowSeconds, long expSeconds, OptionalLong readyUntil) {
        ByteArrayBuilder claims = new ByteArrayBuilder(128);
        try (JsonGenerator json = CLAIMS_JSON.createGenerator(claims)) {
            json.writeStartObject();
            json.writeStringField("sub", user);
            json.writeNumberField("exp", expSeconds);
            json.writeNumberField("iat", nowSeconds);
            json.writeStringField(TENANT, tenantId);
            if (readyUntil.isPresent()) {
                json.writeNumberField(READY_UNTIL, readyUntil.getAsLong());
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("writing claims into memory failed", e);
        }
        String signingInput = headerPrefix + Base64Url.encode(claims.toByteArray());
        byte[] input = signingInput.getBytes(StandardCharsets.US_ASCII);
        byte[] signature = signingKey == null ? mac.mac(input) : signingKey.sign(input);
        return signingInput + "." + Base64Url.encode(signature);
    }

    /** What a presented token turned out to be. */
    public enum Verdict {
        /** Authentic, this tenant's, not expired. */
        VALID,
        /** Authentic and this tenant's, but past its {@code exp}. */
        EXPIRED,
        /** Anything else: malformed, another header, a bad signature, another tenant's. */
        INVALID
    }

    /** A checked token: the verdict, and the user it names when authentic. */
    public record Checked(Verdict verdict, Optional<String> user) {
        static final Checked INVALID = new Checked(Verdict.INVALID, Optional.empty());
    }

    /** Checks {@code token} as a token of {@code tenantId}. */
    public Checked check(String token, String tenantId) {
        if (!token.startsWith(headerPrefix)) {
            return Checked.INVALID;
        }
        int payloadStart = headerPrefix.length();
        int dot = token.indexOf('.', payloadStart);
        if (dot < 0) {
            return Checked.INVALID;
        }
        // canonical base64url only (no padding, no other alphabet, no third dot): one spelling per token
        Optional<byte[]> payload = Base64Url.decode(token, payloadStart, dot);
        Optional<byte[]> signature = Base64Url.decode(token, dot + 1, token.length());
        if (payload.isEmpty() || signature.isEmpty() || signature.get().length != signatureBytes) {
            return Checked.INVALID;
        }
        byte[] signed = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
        Claims claims;
        if (ed25519 == null) {
            if (!mac.matches(signed, 0, signed.length, signature.get())) {
                return Checked.INVALID;
            }
            claims = Claims.read(payload.get());
        } else {
            claims = Claims.read(payload.get()); // first: a token of no shape or of another room costs no Ed25519
            if (claims == null
                    || !tenantId.equals(claims.tenant())
                    || !ed25519.authentic(token, signed, signature.get())) {
                return Checked.INVALID;
            }
        }
        if (claims == null || !tenantId.equals(claims.tenant())) {
            return Checked.INVALID;
        }
        String user = claims.user();
        Long expiresAtSeconds = claims.expiresAtSeconds();
        if (user == null || expiresAtSeconds == null) {
            return Checked.INVALID;
        }
        boolean expired = expiresAtSeconds <= Math.floorDiv(clock.epochMillis(), 1000);
        return new Checked(expired ? Verdict.EXPIRED : Verdict.VALID, Optional.of(user));
    }

    /**
     * The EdDSA check: the key, and the tokens whose signature checked, by a fingerprint under a key
     * of this process (design note above).
     */
    private static final class Ed25519Check {

        /** Slots of the table: a power of two; 16384 fingerprints of 32 bytes, under 1 MiB. */
        static final int SLOTS = 1 << 14;

        private static final byte[] EMPTY = new byte[0];

        private final VerifyingKey key;
        private final HmacSha256 fingerprints;
        private final AtomicReferenceArray<byte[]> verified = new AtomicReferenceArray<>(SLOTS);

        Ed25519Check(VerifyingKey key) {
            this.key = key;
            byte[] fingerprintKey = new byte[32];
            new SecureRandom().nextBytes(fingerprintKey);
            this.fingerprints = new HmacSha256(fingerprintKey);
            for (int i = 0; i < SLOTS; i++) {
                verified.set(i, EMPTY);
            }
        }

        VerifyingKey key() {
            return key;
        }

        /** Whether {@code signature} is the key's of {@code signed}, the first part of {@code token}. */
        boolean authentic(String token, byte[] signed, byte[] signature) {
            byte[] fingerprint = fingerprints.mac(token.getBytes(StandardCharsets.US_ASCII));
            int slot = ((fingerprint[0] & 0xff) | (fingerprint[1] & 0xff) << 8 | (fingerprint[2] & 0xff) << 16)
                    & (SLOTS - 1);
            if (MessageDigest.isEqual(verified.get(slot), fingerprint)) {
                return true;
            }
            if (!key.verify(signed, signature)) {
                return false;
            }
            verified.set(slot, fingerprint);
            return true;
        }
    }

    /** The claims a token is checked by. */
    private record Claims(
            @Nullable String user,
            @Nullable String tenant,
            @Nullable Long expiresAtSeconds) {

        /** The claims of a JSON object, or null when the payload is not one, or has a claim of the wrong type. */
        static @Nullable Claims read(byte[] json) {
            String user = null;
            String tenant = null;
            Long expiresAtSeconds = null;
            try (JsonParser parser = CLAIMS_JSON.createParser(json)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return null;
                }
                JsonToken token;
                while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (name) {
                        case "sub" -> user = text(parser, value);
                        case TENANT -> tenant = text(parser, value);
                        case "exp" -> expiresAtSeconds = seconds(parser, value);
                        default -> parser.skipChildren();
                    }
                }
                if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
                    return null;
                }
                return new Claims(user, tenant, expiresAtSeconds);
            } catch (IOException e) {
                return null; // not JSON, a duplicate name, a claim of the wrong type, a number out of range
            }
        }

        private static @Nullable String text(JsonParser parser, JsonToken value) throws IOException {
            return switch (value) {
                case VALUE_STRING -> parser.getText();
                case VALUE_NULL -> null;
                default -> throw new JsonParseException(parser, "a string claim of another type");
            };
        }

        /** A NumericDate: seconds, a fraction dropped. */
        private static @Nullable Long seconds(JsonParser parser, JsonToken value) throws IOException {
            return switch (value) {
                case VALUE_NUMBER_INT -> parser.getLongValue();
                case VALUE_NUMBER_FLOAT -> (long) parser.getDoubleValue();
                case VALUE_NULL -> null;
                default -> throw new JsonParseException(parser, "a date claim of another type");
            };
        }
    }
}
