/** Tools for tests of the HTTP surfaces: a raw TCP client for bytes no HTTP client sends, and the log they cause. */
@NullMarked
package dev.gatehouse.testing.http;

import org.jspecify.annotations.NullMarked;
