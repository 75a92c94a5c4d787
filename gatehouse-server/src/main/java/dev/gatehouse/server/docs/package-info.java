/** The API documentation of {@code gatehouse serve}: the OpenAPI document, Swagger UI and ReDoc. */
@NullMarked
package dev.gatehouse.server.docs;

import org.jspecify.annotations.NullMarked;
