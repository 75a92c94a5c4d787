@NullMarked
package dev.gatehouse.proof.vrf;

import org.jspecify.annotations.NullMarked;
