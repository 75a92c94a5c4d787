/** Proof-of-work, admission tokens, signed records, verifiable random functions and Merkle logs. */
module dev.gatehouse.proof {
    requires transitive dev.gatehouse.core;
    requires org.bouncycastle.provider;
}
