// Starts Swagger UI on this server's OpenAPI document. validatorUrl: null keeps it from showing a
// badge loaded from the public validator; BaseLayout has no top bar for loading other documents.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
  defaultModelsExpandDepth: 0,
});
