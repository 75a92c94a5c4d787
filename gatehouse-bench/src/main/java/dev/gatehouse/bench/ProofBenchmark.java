package dev.gatehouse.bench;

import dev.gatehouse.core.time.WallClock;
import dev.gatehouse.proof.merkle.MerkleLog;
import dev.gatehouse.proof.nonce.NonceStore;
import dev.gatehouse.proof.pow.Challenge;
import dev.gatehouse.proof.pow.PowAlgorithm;
import dev.gatehouse.proof.pow.PowSolver;
import dev.gatehouse.proof.pow.PowSpec;
import dev.gatehouse.proof.pow.PowVerdict;
import dev.gatehouse.proof.pow.ProofOfWork;
import dev.gatehouse.proof.secret.HmacSecrets;
import dev.gatehouse.proof.sign.SigningKey;
import dev.gatehouse.proof.sign.VerifyingKey;
import dev.gatehouse.proof.vrf.Ecvrf;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The proof primitives on their own: challenge issue and SHA-256 verify (target 2 µs each), Argon2id
 * verify at default parameters, ECVRF prove and verify, and Merkle append and prove at a million
 * leaves. Verification benchmarks reach the work check every time: the nonce store is a stub that
 * accepts every id with a shared complete stage, so the numbers cover shape, signature, expiry and
 * work but not the store, whose cost depends on where it lives (memory or Redis). Argon2id hashes on
 * the benchmark thread ({@code Runnable::run} as its hash pool), so the figure is the hash and the
 * checks, not a hand-off to the default pool; either way every verdict is complete on return.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ProofBenchmark {

    private static final int MILLION = 1 << 20;
    private static final CompletionStage<Boolean> NEW = CompletableFuture.completedStage(true);
    private static final CompletionStage<Boolean> ABSENT = CompletableFuture.completedStage(false);

    private ProofOfWork sha256;
    private ProofOfWork argon2id;
    private Challenge sha256Challenge;
    private byte[] sha256Nonce;
    private Challenge argon2Challenge;
    private byte[] argon2Nonce;
    private byte[] vrfSecretKey;
    private byte[] vrfPublicKey;
    private byte[] vrfAlpha;
    private byte[] vrfProof;
    private MerkleLog growing;
    private SigningKey signingKey;
    private VerifyingKey verifyingKey;
    private java.security.PrivateKey jdkPrivateKey;
    private java.security.PublicKey jdkPublicKey;
    private byte[] message;
    private byte[] signature;
    private byte[] jdkSignature;

    @Setup
    public void setUp() {
        HmacSecrets secrets = HmacSecrets.of(new byte[32]);
        // Accepts every id, so each verify runs all checks and the same solution can be measured again.
        NonceStore alwaysNew = new NonceStore() {
            @Override
            public CompletionStage<Boolean> putIfAbsent(String id, long expiresAtMillis) {
                return NEW;
            }

            @Override
            public CompletionStage<Boolean> contains(String id) {
                return ABSENT;
            }
        };
        PowSpec spec = PowSpec.of(8, 8, Duration.ofDays(1));
        sha256 = ProofOfWork.sha256(spec, secrets, alwaysNew, WallClock.system());
        sha256Challenge = sha256.issue(0);
        sha256Nonce = PowSolver.solve(sha256Challenge, 1L << 32).orElseThrow();
        argon2id = ProofOfWork.argon2id(
                PowSpec.of(1, 1, Duration.ofDays(1)),
                PowAlgorithm.Argon2id.DEFAULT,
                secrets,
                alwaysNew,
                WallClock.system(),
                Runnable::run);
        argon2Challenge = argon2id.issue(0);
        argon2Nonce = PowSolver.solve(argon2Challenge, 1L << 16).orElseThrow();

        vrfSecretKey = new byte[32];
        vrfSecretKey[0] = 7;
        vrfPublicKey = Ecvrf.publicKey(vrfSecretKey);
        vrfAlpha = new byte[32];
        vrfProof = Ecvrf.prove(vrfSecretKey, vrfAlpha);

        byte[] seed = new byte[SigningKey.SEED_BYTES];
        seed[0] = 9;
        signingKey = SigningKey.fromSeed(seed);
        verifyingKey = signingKey.verifyingKey();
        message = new byte[150]; // about a queue token's signing input
        signature = signingKey.sign(message);
        try {
            java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("Ed25519");
            java.security.KeyPair pair = generator.generateKeyPair();
            jdkPrivateKey = pair.getPrivate();
            jdkPublicKey = pair.getPublic();
            jdkSignature = jdkEd25519Sign();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A log of 2^20 leaves, built only for the benchmarks that prove against it. */
    @State(Scope.Benchmark)
    public static class MillionLeaves {
        MerkleLog log;
        long proveIndex;

        @Setup
        public void build() {
            log = new MerkleLog();
            for (int i = 0; i < MILLION; i++) {
                log.append(leaf(i));
            }
        }

        long nextIndex() {
            proveIndex = (proveIndex + 7_919) % MILLION;
            return proveIndex;
        }
    }

    @Setup(Level.Iteration)
    public void freshLog() {
        growing = new MerkleLog();
    }

    /** The verdict of a verification that completed before it returned (stub store, hashes on this thread). */
    private static PowVerdict completed(CompletionStage<PowVerdict> verdict) {
        PowVerdict done = verdict.toCompletableFuture().getNow(null);
        if (done == null) {
            throw new IllegalStateException("the verification did not complete on return: not the case measured");
        }
        return done;
    }

    private static byte[] leaf(long i) {
        return ByteBuffer.allocate(Long.BYTES).putLong(i).array();
    }

    @Benchmark
    public Challenge challengeIssue() {
        return sha256.issue(0.5);
    }

    @Benchmark
    public PowVerdict sha256Verify() {
        return completed(sha256.verify(sha256Challenge.id(), sha256Nonce));
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public PowVerdict argon2idVerifyDefault() {
        return completed(argon2id.verify(argon2Challenge.id(), argon2Nonce));
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] ecvrfProve() {
        return Ecvrf.prove(vrfSecretKey, vrfAlpha);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Optional<byte[]> ecvrfVerify() {
        return Ecvrf.verify(vrfPublicKey, vrfProof, vrfAlpha);
    }

    /** Ed25519 signing as the project does it (queue tokens under EdDSA, draw records). */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] ed25519Sign() {
        return signingKey.sign(message);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean ed25519Verify() {
        return verifyingKey.verify(message, signature);
    }

    /** The JDK's own Ed25519 (SunEC), side by side: what SigningKey used before. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public byte[] jdkEd25519Sign() throws java.security.GeneralSecurityException {
        java.security.Signature signer = java.security.Signature.getInstance("Ed25519");
        signer.initSign(jdkPrivateKey);
        signer.update(message);
        return signer.sign();
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public boolean jdkEd25519Verify() throws java.security.GeneralSecurityException {
        java.security.Signature verifier = java.security.Signature.getInstance("Ed25519");
        verifier.initVerify(jdkPublicKey);
        verifier.update(message);
        return verifier.verify(jdkSignature);
    }

    /** Appends to a log that grows over the iteration (to about a million leaves per second of run). */
    @Benchmark
    public long merkleAppend() {
        return growing.append(leaf(growing.size()));
    }

    /** An inclusion proof in the million-leaf log, for a different leaf each call. */
    @Benchmark
    public List<byte[]> merkleInclusionProofAtMillion(MillionLeaves leaves) {
        return leaves.log.inclusionProof(leaves.nextIndex(), MILLION);
    }

    /** A consistency proof from a moving old size to the million-leaf log. */
    @Benchmark
    public List<byte[]> merkleConsistencyProofAtMillion(MillionLeaves leaves) {
        return leaves.log.consistencyProof(leaves.nextIndex() + 1, MILLION);
    }
}
