/** The gateway's file: Wicket's sidecar YAML, read key by key with Wicket's types, defaults and meanings. */
@NullMarked
package dev.gatehouse.gateway.config;

import org.jspecify.annotations.NullMarked;
