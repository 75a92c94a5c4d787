// Starts ReDoc on this server's OpenAPI document, in fonts the machine has (ReDoc's theme names
// web fonts that this page does not load).
(function () {
  var sans = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  Redoc.init(
    "/openapi.json",
    {
      expandResponses: "200",
      theme: {
        typography: {
          fontFamily: sans,
          headings: { fontFamily: sans },
          code: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace' },
        },
      },
    },
    document.getElementById("redoc")
  );
})();
