/** Proof-of-work, admission tokens, signed records, verifiable random functions and Merkle logs. */
module dev.gatehouse.proof {
    requires transitive dev.gatehouse.core;
    requires org.bouncycastle.provider;
    requires static transitive org.jspecify;

    exports dev.gatehouse.proof.merkle;
    exports dev.gatehouse.proof.vrf;
    exports dev.gatehouse.proof.nonce;
    exports dev.gatehouse.proof.pow;
    exports dev.gatehouse.proof.secret;
    exports dev.gatehouse.proof.sign;
    exports dev.gatehouse.proof.token;
}
