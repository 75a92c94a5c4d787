package dev.gatehouse.waitingroom;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.core.internal.Base64Url;
import dev.gatehouse.core.internal.HmacSha256;
import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.waitingroom.draw.TicketList;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Queue tokens: HS256 JWTs over the server's secret with {@code sub} (the user id), {@code tid}
 * (the tenant's id, never its key), {@code iat} and {@code exp}. nimbus-jose-jwt builds and signs
 * them (with the keyed {@link HmacSha256} below, not a new {@code Mac} per token). A token
 * is accepted only with exactly the header Gatehouse issues ({@code {"alg":"HS256"}}, byte for
 * byte), a signature that checks (compared in constant time), and claims of those types; {@code alg:
 * none}, another algorithm, any other header and a missing claim are refused alike.
 *
 * <p>Checking is the hot path of every status poll, so it does not go through nimbus's parser (which
 * reads the header and the claims into maps with its shaded Gson, and looks up a new {@code Mac} per
 * check): the header is compared with the one constant it may be, the segments are decoded only in
 * canonical base64url ({@link Base64Url}: one spelling per token), the signature is computed from a
 * keyed {@code Mac} cloned per check ({@link HmacSha256}), and the claims are read by a streaming
 * parser that refuses duplicate names. {@code QueueTokensBenchmark} in gatehouse-bench measures both; {@code QueueTokensTest}
 * checks that this path and nimbus's agree on every token it makes.
 */
public final class QueueTokens {

    /** The shortest secret accepted, in UTF-8 bytes: HS256 keys must have at least 256 bits. */
    public static final int MIN_SECRET_BYTES = 32;

    private static final String TENANT = "tid";
    private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.HS256);
    private static final int SIGNATURE_BYTES = 32;

    /** The encoded header of every token issued, and so of every token accepted, with its dot. */
    private static final String HEADER_PREFIX = HEADER.toBase64URL() + ".";

    private static final JsonFactory CLAIMS_JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final JWSSigner signer;
    private final HmacSha256 mac;
    private final WallClock clock;
    private final HmacSha256 tickets;

    /** What the secret signs to make the key of draw tickets, which is never a token's key. */
    private static final byte[] TICKET_KEY_LABEL = "gatehouse/draw/v1 ticket key".getBytes(StandardCharsets.US_ASCII);

    /** Tokens signed with the UTF-8 bytes of {@code secret}, which must have {@link #MIN_SECRET_BYTES}. */
    public QueueTokens(String secret, WallClock clock) {
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(
                    "the secret has " + key.length + " bytes (expected: >= " + MIN_SECRET_BYTES + ")");
        }
        this.mac = new HmacSha256(key);
        this.signer = new Hs256Signer(mac);
        this.clock = clock;
        this.tickets = new HmacSha256(mac.mac(TICKET_KEY_LABEL));
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

    /**
     * nimbus's signer for HS256 over {@link HmacSha256}: nimbus's own {@code MACSigner} looks up and
     * keys a new {@code Mac} for every token, a third of the cost of issuing one.
     */
    private record Hs256Signer(HmacSha256 mac) implements JWSSigner {
        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
            if (!JWSAlgorithm.HS256.equals(header.getAlgorithm())) {
                throw new JOSEException("only HS256 is signed here, not " + header.getAlgorithm());
            }
            return Base64URL.encode(mac.mac(signingInput));
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.HS256);
        }

        @Override
        public JCAContext getJCAContext() {
            return new JCAContext();
        }
    }

    /** A token for {@code user} of {@code tenantId}, valid {@code lifetimeSeconds} from now. */
    @SuppressWarnings("JavaUtilDate") // nimbus's claims take java.util.Date
    public String issue(String tenantId, String user, long lifetimeSeconds) {
        long nowSeconds = Math.floorDiv(clock.epochMillis(), 1000);
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .subject(user)
                .claim(TENANT, tenantId)
                .issueTime(new Date(nowSeconds * 1000))
                .expirationTime(new Date((nowSeconds + lifetimeSeconds) * 1000))
                .build();
        SignedJWT jwt = new SignedJWT(HEADER, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("HS256 signing failed", e);
        }
        return jwt.serialize();
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
        if (!token.startsWith(HEADER_PREFIX)) {
            return Checked.INVALID;
        }
        int payloadStart = HEADER_PREFIX.length();
        int dot = token.indexOf('.', payloadStart);
        if (dot < 0) {
            return Checked.INVALID;
        }
        // canonical base64url only (no padding, no other alphabet, no third dot): one spelling per token
        Optional<byte[]> payload = Base64Url.decode(token.substring(payloadStart, dot));
        Optional<byte[]> signature = Base64Url.decode(token.substring(dot + 1));
        if (payload.isEmpty() || signature.isEmpty() || signature.get().length != SIGNATURE_BYTES) {
            return Checked.INVALID;
        }
        byte[] signed = token.substring(0, dot).getBytes(StandardCharsets.US_ASCII);
        if (!mac.matches(signed, 0, signed.length, signature.get())) {
            return Checked.INVALID;
        }
        Claims claims = Claims.read(payload.get());
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
