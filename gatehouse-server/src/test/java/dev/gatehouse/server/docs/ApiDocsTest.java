package dev.gatehouse.server.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What {@link ApiDocs} serves over HTTP, on a bare router of its own. */
class ApiDocsTest {

    private static final Pattern REFERENCE = Pattern.compile("\\b(?:src|href)\\s*=\\s*\"([^\"]*)\"");

    private static DocsServer server;

    @BeforeAll
    static void start() {
        server = DocsServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void openapiJson_isTheDocumentAsJson() throws IOException {
        HttpResponse<byte[]> response = server.get("/openapi.json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode document = new ObjectMapper().readTree(response.body());
        assertThat(document.get("openapi").asText()).startsWith("3.1.");
        assertThat(document).isEqualTo(new ObjectMapper().readTree(ApiDocs.openApiJson()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/docs", "/redoc"})
    void page_isAnsweredItself_withAPolicyOfThisOriginOnly(String page) {
        HttpResponse<byte[]> response = server.get(page);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(response.headers().firstValue("Content-Security-Policy")).hasValue(ApiDocs.CONTENT_SECURITY_POLICY);
        assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(ApiDocs.CONTENT_SECURITY_POLICY)
                .contains("default-src 'none'")
                .doesNotContain("http:", "https:", "*", "unsafe-eval");
        assertThat(DocsServer.text(response)).contains("<title>Gatehouse API</title>");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/docs", "/redoc"})
    void everyReferenceOfAPage_isThisServers_andAnswers200(String page) {
        String html = DocsServer.text(server.get(page));
        List<String> references = new ArrayList<>();
        Matcher matcher = REFERENCE.matcher(html);
        while (matcher.find()) {
            references.add(matcher.group(1));
        }

        assertThat(references)
                .isNotEmpty()
                .allSatisfy(reference -> assertThat(reference).matches("(/[^/].*|data:.*)"));
        assertThat(references.stream().filter(reference -> reference.endsWith(".js")))
                .isNotEmpty();
        for (String reference : references) {
            if (reference.startsWith("/")) {
                HttpResponse<byte[]> asset = server.get(reference);
                assertThat(asset.statusCode()).as(reference).isEqualTo(200);
                assertThat(asset.body()).as(reference).isNotEmpty();
            }
        }
    }

    @Test
    void stylesheet_loadsNoFontOrImageFromElsewhere() {
        String css = DocsServer.text(server.get("/docs/assets/swagger-ui.css"));
        List<String> urls = new ArrayList<>();
        Matcher matcher = Pattern.compile("url\\(\\s*['\"]?([^'\")]*)").matcher(css);
        while (matcher.find()) {
            urls.add(matcher.group(1));
        }

        assertThat(css).doesNotContain("@import", "@font-face");
        assertThat(urls).isNotEmpty().allSatisfy(url -> assertThat(url).startsWith("data:"));
    }

    @Test
    void assets_haveTheirContentTypes() {
        Map<String, String> types = Map.of(
                "/docs/assets/swagger-ui-bundle.js", "text/javascript; charset=utf-8",
                "/docs/assets/swagger-ui-init.js", "text/javascript; charset=utf-8",
                "/docs/assets/swagger-ui.css", "text/css; charset=utf-8",
                "/docs/assets/redoc.standalone.js", "text/javascript; charset=utf-8",
                "/docs/assets/redoc-init.js", "text/javascript; charset=utf-8");
        types.forEach((path, type) -> {
            HttpResponse<byte[]> response = server.get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).as(path).hasValue(type);
            // the router ignores a trailing slash, here as on every route
            assertThat(server.get(path + "/").body()).as(path + "/").isEqualTo(response.body());
            assertThat(response.headers().firstValue("Cache-Control")).as(path).hasValue("no-cache");
            assertThat(response.headers().firstValue("X-Content-Type-Options"))
                    .as(path)
                    .hasValue("nosniff");
        });
    }

    @Test
    void conditionalGet_withTheETag_is304WithoutBody() {
        HttpResponse<byte[]> first = server.get("/docs/assets/swagger-ui.css");
        String etag = first.headers().firstValue("ETag").orElseThrow();

        HttpResponse<byte[]> again = server.get("/docs/assets/swagger-ui.css", "If-None-Match", etag);
        HttpResponse<byte[]> weak = server.get("/docs/assets/swagger-ui.css", "If-None-Match", "\"x\", W/" + etag);
        HttpResponse<byte[]> other = server.get("/docs/assets/swagger-ui.css", "If-None-Match", "\"other\"");

        assertThat(etag).matches("\"[0-9a-f]{32}\"");
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(again.headers().firstValue("ETag")).hasValue(etag);
        assertThat(weak.statusCode()).isEqualTo(304);
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.body()).isEqualTo(first.body());
    }

    @Test
    void gzip_whenAccepted_isTheSameBytesCompressed() throws IOException {
        HttpResponse<byte[]> plain = server.get("/docs/assets/swagger-ui-bundle.js");
        HttpResponse<byte[]> zipped = server.get("/docs/assets/swagger-ui-bundle.js", "Accept-Encoding", "gzip");
        HttpResponse<byte[]> refused =
                server.get("/docs/assets/swagger-ui-bundle.js", "Accept-Encoding", "gzip;q=0, *");

        assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(plain.headers().firstValue("Vary")).hasValue("accept-encoding");
        assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(zipped.body().length).isLessThan(plain.body().length / 2);
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
            assertThat(in.readAllBytes()).isEqualTo(plain.body());
        }
        assertThat(zipped.headers().firstValue("ETag"))
                .isNotEqualTo(plain.headers().firstValue("ETag"));
        assertThat(refused.headers().firstValue("Content-Encoding")).isEmpty();
    }

    @Test
    void firstRequests_manyAtOnce_allGetTheWholeFile() {
        try (DocsServer fresh = DocsServer.start()) { // nothing read yet: every request races the first read
            List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                calls.add(CompletableFuture.supplyAsync(() -> fresh.get("/docs/assets/redoc.standalone.js")));
            }
            List<HttpResponse<byte[]>> answers =
                    calls.stream().map(CompletableFuture::join).toList();

            byte[] expected = answers.get(0).body();
            assertThat(expected.length).isGreaterThan(500_000);
            assertThat(answers).allSatisfy(answer -> {
                assertThat(answer.statusCode()).isEqualTo(200);
                assertThat(answer.body()).isEqualTo(expected);
            });
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/docs/assets/",
                "/docs/assets",
                "/docs/assets/openapi.yaml",
                "/docs/assets/vendor/swagger-ui/swagger-ui.css",
                "/docs/assets/dev/gatehouse/server/docs/openapi.yaml",
                "/dev/gatehouse/server/docs/openapi.yaml",
                "/dev/gatehouse/server/docs/vendor/redoc/LICENSE",
                "/META-INF/MANIFEST.MF",
                "/docs/assets/../../dev/gatehouse/server/docs/openapi.yaml",
                "/docs/assets/..%2f..%2fdev%2fgatehouse%2fserver%2fdocs%2fopenapi.yaml",
                "/docs/assets/%2e%2e/%2e%2e/dev/gatehouse/server/docs/openapi.yaml",
                "/docs/assets/%2E%2E%2F%2E%2E%2Fdev/gatehouse/server/docs/openapi.yaml",
                "/docs/assets/..%5c..%5cdev%5cgatehouse%5cserver%5cdocs%5copenapi.yaml",
                "/docs/assets/..\\..\\openapi.yaml",
                "/docs/assets/%252e%252e/%252e%252e/openapi.yaml",
                "/docs/assets/..;/..;/openapi.yaml",
                "/docs/assets/swagger-ui.css%00.html",
                "/docs/assets/SWAGGER-UI.CSS",
                "/docs/assets//etc/passwd",
                "/docs/assets/../../../../../../etc/passwd",
                "/docs/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
                "/docs/assets/file:%2f%2f%2fetc%2fpasswd",
                "/docs/..",
                "/redoc/..%2f..%2fetc/passwd",
            })
    void hostilePaths_neverReachAFileOutsideTheList_andAreNever5xx(String target) {
        String answer = server.raw(target);

        assertThat(status(answer)).as(target).isBetween(400, 499);
        assertThat(answer)
                .as(target)
                .doesNotContain("openapi: 3.1", "root:x:", "Permission is hereby granted", "Manifest-Version");
    }

    @Test
    void veryLongPaths_areRefused_never5xx() {
        String withinTheLineBound = "/docs/assets/" + "a".repeat(3_900);
        String pastTheLineBound = "/docs/assets/" + "..%2f".repeat(2_000);

        String nearBound = server.raw(withinTheLineBound);
        String past = server.raw(pastTheLineBound);

        assertThat(status(nearBound)).isEqualTo(404);
        assertThat(status(past)).isEqualTo(414); // the codec's bound on the request line (an HTTP/1.0 status line)
    }

    @Test
    void otherMethods_areNotAnswered() {
        String answer = server.raw("POST", "/docs/assets/swagger-ui.css");

        assertThat(status(answer)).isEqualTo(405);
    }

    private static int status(String answer) {
        assertThat(answer).matches("(?s)HTTP/1\\.[01] \\d{3} .*");
        return Integer.parseInt(answer.substring(9, 12));
    }
}
