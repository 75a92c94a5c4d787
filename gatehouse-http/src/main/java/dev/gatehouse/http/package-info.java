@NullMarked
package dev.gatehouse.http;

import org.jspecify.annotations.NullMarked;
