/** Gatehouse as a Spring Boot starter: auto-configuration of the gate and its filters from {@code application.yml}. */
@NullMarked
package dev.gatehouse.spring;

import org.jspecify.annotations.NullMarked;
