/** The contract suites of the waiting room's ports. */
@NullMarked
package dev.gatehouse.testing.room;

import org.jspecify.annotations.NullMarked;
