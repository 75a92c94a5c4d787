/** Redis adapters for Gatehouse's ports, on Lettuce. */
module dev.gatehouse.redis {
    requires transitive dev.gatehouse.proof;
    requires transitive dev.gatehouse.waitingroom;
    requires lettuce.core;
    requires io.netty.handler;
    requires io.netty.transport;
    requires static transitive org.jspecify;

    exports dev.gatehouse.redis;
}
