/** In-process admission primitives: rate limiters, wait queues, keyed registries and time sources. */
@SuppressWarnings("module") // the modules of the qualified export below are built after this one
module dev.gatehouse.core {
    requires static transitive org.jspecify;

    exports dev.gatehouse.core.adaptive;
    exports dev.gatehouse.core.breaker;
    exports dev.gatehouse.core.check;
    exports dev.gatehouse.core.key;
    exports dev.gatehouse.core.degrade;
    exports dev.gatehouse.core.gate;
    exports dev.gatehouse.core.time;
    exports dev.gatehouse.core.limit;
    exports dev.gatehouse.core.keyed;
    exports dev.gatehouse.core.wait;
    exports dev.gatehouse.core.window;
    exports dev.gatehouse.core.internal to
            dev.gatehouse.proof,
            dev.gatehouse.waitingroom,
            dev.gatehouse.redis;
}
