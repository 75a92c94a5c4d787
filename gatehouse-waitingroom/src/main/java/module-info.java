/** The waiting room without HTTP: tenants, room configs, queue tokens, the fair draw, and the QueueState and TenantStore ports. */
module dev.gatehouse.waitingroom {
    requires transitive dev.gatehouse.core;
    requires transitive dev.gatehouse.proof;
    requires com.fasterxml.jackson.core;
    requires org.slf4j;
    requires static transitive org.jspecify;

    exports dev.gatehouse.waitingroom;
    exports dev.gatehouse.waitingroom.draw;
}
