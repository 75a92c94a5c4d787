@NullMarked
package dev.gatehouse.core.adaptive;

import org.jspecify.annotations.NullMarked;
