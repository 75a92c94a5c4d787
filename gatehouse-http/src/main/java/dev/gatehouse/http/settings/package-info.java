@NullMarked
package dev.gatehouse.http.settings;

import org.jspecify.annotations.NullMarked;
