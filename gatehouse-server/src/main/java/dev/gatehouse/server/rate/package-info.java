@NullMarked
package dev.gatehouse.server.rate;

import org.jspecify.annotations.NullMarked;
