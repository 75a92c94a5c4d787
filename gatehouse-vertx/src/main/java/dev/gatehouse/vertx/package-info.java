/** Gatehouse as a Vert.x Web handler: {@link dev.gatehouse.vertx.GatehouseHandler}. */
@NullMarked
package dev.gatehouse.vertx;

import org.jspecify.annotations.NullMarked;
