/**
 * The Java SDK for a business's backend: the waiting room's {@code verify} and {@code finish}, offline
 * checks of the room's EdDSA queue tokens, and the rate service's decisions, over the JDK's HttpClient.
 */
module dev.gatehouse.client {
    requires transitive java.net.http;
    requires com.fasterxml.jackson.core;
    requires static transitive org.jspecify;

    exports dev.gatehouse.client;
}
