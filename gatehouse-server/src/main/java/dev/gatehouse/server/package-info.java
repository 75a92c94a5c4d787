@NullMarked
package dev.gatehouse.server;

import org.jspecify.annotations.NullMarked;
