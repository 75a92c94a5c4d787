@NullMarked
package dev.gatehouse.cli;

import org.jspecify.annotations.NullMarked;
