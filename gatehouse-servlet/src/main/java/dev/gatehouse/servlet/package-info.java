/** Gatehouse as a Jakarta Servlet filter: {@link dev.gatehouse.servlet.GatehouseFilter}. */
@NullMarked
package dev.gatehouse.servlet;

import org.jspecify.annotations.NullMarked;
