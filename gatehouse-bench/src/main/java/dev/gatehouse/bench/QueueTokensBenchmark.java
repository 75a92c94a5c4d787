package dev.gatehouse.bench;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.waitingroom.QueueTokens;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The queue-token check every status poll makes: {@link QueueTokens#check} against the same check
 * done through nimbus-jose-jwt's parser and verifier (what {@code QueueTokens} did before), and the
 * cost of issuing a token (each new user's enqueue); and the same under EdDSA: a token checked for the
 * first time (a signature check), one seen before (the remembered fingerprint), and an issue.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class QueueTokensBenchmark {

    private static final String SECRET = "a-benchmark-secret-of-at-least-32-bytes";
    private static final String TENANT = "key-0123456789abcdef";

    private QueueTokens tokens;
    private QueueTokens eddsa;
    private MACVerifier verifier;
    private String token;
    private String eddsaToken;
    private String[] freshEddsaTokens;
    private int fresh;

    @Setup
    public void setUp() throws JOSEException {
        tokens = new QueueTokens(SECRET, System::currentTimeMillis);
        verifier = new MACVerifier(SECRET.getBytes(StandardCharsets.UTF_8));
        token = tokens.issue(TENANT, "user-0123456789", 600);
        byte[] seed = new byte[SigningKey.SEED_BYTES];
        seed[0] = 3;
        eddsa = QueueTokens.eddsa(SECRET, SigningKey.fromSeed(seed), System::currentTimeMillis);
        eddsaToken = eddsa.issue(TENANT, "user-0123456789", 600);
        // more than the remembered table holds, so each of a run's checks is a first one
        freshEddsaTokens = new String[1 << 16];
        for (int i = 0; i < freshEddsaTokens.length; i++) {
            freshEddsaTokens[i] = eddsa.issue(TENANT, "user-" + i, 600);
        }
    }

    @Benchmark
    public QueueTokens.Checked eddsaCheckSeenBefore() {
        return eddsa.check(eddsaToken, TENANT);
    }

    @Benchmark
    public QueueTokens.Checked eddsaCheckFirstTime() {
        fresh = (fresh + 1) & (freshEddsaTokens.length - 1);
        return eddsa.check(freshEddsaTokens[fresh], TENANT);
    }

    @Benchmark
    public String eddsaIssue() {
        return eddsa.issue(TENANT, "user-0123456789", 600);
    }

    @Benchmark
    public QueueTokens.Checked check() {
        return tokens.check(token, TENANT);
    }

    @Benchmark
    @SuppressWarnings("JavaUtilDate") // nimbus's claims give java.util.Date
    public boolean nimbusCheck() throws ParseException, JOSEException {
        SignedJWT jwt = SignedJWT.parse(token);
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
            return false;
        }
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        Date expires = claims.getExpirationTime();
        return claims.getSubject() != null
                && expires != null
                && TENANT.equals(claims.getStringClaim("tid"))
                && expires.getTime() > System.currentTimeMillis();
    }

    @Benchmark
    public String issue() {
        return tokens.issue(TENANT, "user-0123456789", 600);
    }
}
