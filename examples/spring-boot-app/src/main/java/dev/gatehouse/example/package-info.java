/** A Spring Boot application protected by the Gatehouse starter. */
@NullMarked
package dev.gatehouse.example;

import org.jspecify.annotations.NullMarked;
