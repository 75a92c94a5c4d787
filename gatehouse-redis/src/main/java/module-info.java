/** Redis adapters for Gatehouse's ports, on Lettuce. */
module dev.gatehouse.redis {
    requires transitive dev.gatehouse.proof;
    requires lettuce.core;

    exports dev.gatehouse.redis;
}
