/**
 * Whose request it is: the key a limit counts a request under, read from what any server knows of a
 * request ({@link dev.gatehouse.core.key.RequestFacts}) by a {@link dev.gatehouse.core.key.KeyExtractor},
 * the same for the gateway, the servlet filter and every other middleware.
 */
@NullMarked
package dev.gatehouse.core.key;

import org.jspecify.annotations.NullMarked;
