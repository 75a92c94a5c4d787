/** Gatehouse as a Jakarta Servlet filter: rate limits per path and client, a breaker fed by the answers. */
module dev.gatehouse.servlet {
    requires transitive dev.gatehouse.core;
    requires static transitive jakarta.servlet;
    requires static transitive org.jspecify;

    exports dev.gatehouse.servlet;
}
