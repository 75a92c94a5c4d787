@NullMarked
package dev.gatehouse.proof.nonce;

import org.jspecify.annotations.NullMarked;
