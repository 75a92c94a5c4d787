package dev.gatehouse.waitingroom;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.core.time.WallClock;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Date;
import java.util.Optional;

/**
 * Queue tokens: HS256 JWTs over the server's secret with {@code sub} (the user id), {@code tid}
 * (the tenant's id, never its key), {@code iat} and {@code exp}. A token is accepted only with
 * exactly that algorithm in its header, a signature that checks (compared in constant time), and
 * claims of those types; {@code alg: none}, another algorithm and a missing claim are refused alike.
 */
public final class QueueTokens {

    /** The shortest secret accepted, in UTF-8 bytes: HS256 keys must have at least 256 bits. */
    public static final int MIN_SECRET_BYTES = 32;

    private static final String TENANT = "tid";
    private static final JWSHeader HEADER = new JWSHeader(JWSAlgorithm.HS256);

    private final MACSigner signer;
    private final JWSVerifier verifier;
    private final WallClock clock;

    /** Tokens signed with the UTF-8 bytes of {@code secret}, which must have {@link #MIN_SECRET_BYTES}. */
    public QueueTokens(String secret, WallClock clock) {
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        if (key.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException(
                    "the secret has " + key.length + " bytes (expected: >= " + MIN_SECRET_BYTES + ")");
        }
        try {
            this.signer = new MACSigner(key);
            this.verifier = new MACVerifier(key);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the secret cannot key HS256: " + e.getMessage(), e);
        }
        this.clock = clock;
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
        /** Anything else: malformed, another algorithm, a bad signature, another tenant's. */
        INVALID
    }

    /** A checked token: the verdict, and the user it names when authentic. */
    public record Checked(Verdict verdict, Optional<String> user) {
        static final Checked INVALID = new Checked(Verdict.INVALID, Optional.empty());
    }

    /** Checks {@code token} as a token of {@code tenantId}. */
    @SuppressWarnings("JavaUtilDate") // nimbus's claims give java.util.Date
    public Checked check(String token, String tenantId) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
                return Checked.INVALID;
            }
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            String user = claims.getSubject();
            Date expires = claims.getExpirationTime();
            if (user == null || expires == null || !tenantId.equals(claims.getStringClaim(TENANT))) {
                return Checked.INVALID;
            }
            Verdict verdict = expires.getTime() <= clock.epochMillis() ? Verdict.EXPIRED : Verdict.VALID;
            return new Checked(verdict, Optional.of(user));
        } catch (ParseException | JOSEException | IllegalStateException e) {
            return Checked.INVALID;
        }
    }
}
