@NullMarked
package dev.gatehouse.testing.nonce;

import org.jspecify.annotations.NullMarked;
