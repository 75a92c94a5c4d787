package dev.gatehouse.server.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * The API documentation of {@code gatehouse serve}, served from its own jar: the OpenAPI 3.1
 * document at {@code /openapi.json}, Swagger UI at {@code /docs} and ReDoc at {@code /redoc}, with
 * every script and stylesheet under {@code /docs/assets/}. Nothing is loaded from another origin.
 */
public final class ApiDocs {

    /*
     * Every path is an exact route: a request names one of the files below or is not answered here
     * (the router's 404), so no path is ever mapped onto the classpath and no traversal or listing
     * can reach anything else. The UI bundles come from the swagger-ui and redoc webjars, unpacked
     * by the build (only the files listed here) under dev/gatehouse/server/docs/vendor/.
     *
     * The pages carry a Content-Security-Policy that allows this origin only, as a second line
     * behind pages that reference nothing else: it also stops what the bundles would fetch on their
     * own (ReDoc's sidebar shows a logo from its vendor's CDN; the browser refuses it, never sends
     * the request, and ReDoc then hides the image). Styles may be inline because both UIs set
     * style attributes and inject <style> elements; ReDoc's search runs in a worker made from a
     * blob: URL.
     */

    /** The path of the OpenAPI document. */
    public static final String OPENAPI_PATH = "/openapi.json";

    /** The path of Swagger UI. */
    public static final String SWAGGER_UI_PATH = "/docs";

    /** The path of ReDoc. */
    public static final String REDOC_PATH = "/redoc";

    /** Where the pages' scripts and stylesheets are served. */
    public static final String ASSETS_PATH = "/docs/assets/";

    /** The policy of both pages: this origin only (plus inline styles, data: images, blob: workers). */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; "
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            + "worker-src 'self' blob:; manifest-src 'self'; form-action 'self'; base-uri 'none'; "
            + "frame-ancestors 'self'";

    private static final String BASE = "dev/gatehouse/server/docs/";
    private static final String VENDOR = BASE + "vendor/";
    private static final String HTML = "text/html; charset=utf-8";
    private static final String JAVASCRIPT = "text/javascript; charset=utf-8";
    private static final String CSS = "text/css; charset=utf-8";
    private static final String JSON = "application/json";
    private static final Map<String, String> PAGE_HEADERS = Map.of(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY,
            "Referrer-Policy", "no-referrer",
            "X-Frame-Options", "SAMEORIGIN");

    /** The files under {@link #ASSETS_PATH}: name, classpath resource, content type. */
    private static final List<Asset> ASSETS = List.of(
            new Asset("swagger-ui-bundle.js", VENDOR + "swagger-ui/swagger-ui-bundle.js", JAVASCRIPT),
            new Asset("swagger-ui.css", VENDOR + "swagger-ui/swagger-ui.css", CSS),
            new Asset("swagger-ui-init.js", BASE + "swagger-ui-init.js", JAVASCRIPT),
            new Asset("redoc.standalone.js", VENDOR + "redoc/redoc.standalone.js", JAVASCRIPT),
            new Asset("redoc-init.js", BASE + "redoc-init.js", JAVASCRIPT));

    private record Asset(String name, String resource, String contentType) {}

    private ApiDocs() {}

    /**
     * Adds {@code GET} routes for {@code /openapi.json}, {@code /docs}, {@code /redoc} and each file
     * under {@code /docs/assets/} to {@code router}. Reads the OpenAPI document now and checks that
     * every file is on the classpath: throws {@link IllegalStateException} when one is not (a build
     * defect, found at start rather than by the first visitor).
     */
    public static void mount(Router router) {
        DocsFile openapi = DocsFile.of(openApiJson(), JSON, Map.of());
        DocsFile swaggerUi = new DocsFile(BASE + "swagger-ui.html", HTML, PAGE_HEADERS);
        DocsFile redoc = new DocsFile(BASE + "redoc.html", HTML, PAGE_HEADERS);
        router.get(OPENAPI_PATH).handler(openapi::handle);
        router.get(SWAGGER_UI_PATH).handler(swaggerUi::handle);
        router.get(REDOC_PATH).handler(redoc::handle);
        for (Asset asset : ASSETS) {
            DocsFile file = new DocsFile(asset.resource(), asset.contentType(), Map.of());
            router.get(ASSETS_PATH + asset.name()).handler(file::handle);
        }
    }

    /** The OpenAPI document as JSON, from the YAML the project keeps (read once per mount). */
    static byte[] openApiJson() {
        String resource = BASE + "openapi.yaml";
        try (InputStream in = ApiDocs.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("API documentation file missing from the classpath: " + resource);
            }
            JsonNode document = new YAMLMapper().readTree(in);
            return new ObjectMapper().writeValueAsBytes(document);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
