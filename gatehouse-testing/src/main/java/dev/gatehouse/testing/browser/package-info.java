/** A headless Chromium for tests of pages the surfaces serve, driven over the DevTools protocol. */
@NullMarked
package dev.gatehouse.testing.browser;

import org.jspecify.annotations.NullMarked;
