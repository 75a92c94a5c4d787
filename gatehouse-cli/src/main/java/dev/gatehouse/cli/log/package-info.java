@NullMarked
package dev.gatehouse.cli.log;

import org.jspecify.annotations.NullMarked;
