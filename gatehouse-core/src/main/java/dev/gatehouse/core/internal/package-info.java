/** Helpers Gatehouse's own modules share, exported to them only: not an API. */
@NullMarked
package dev.gatehouse.core.internal;

import org.jspecify.annotations.NullMarked;
