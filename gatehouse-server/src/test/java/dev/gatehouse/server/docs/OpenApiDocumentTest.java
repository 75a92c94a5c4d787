package dev.gatehouse.server.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.rate.Algorithm;
import dev.gatehouse.rate.RateLimits;
import dev.gatehouse.rate.RatePolicy;
import dev.gatehouse.rate.RateService;
import dev.gatehouse.server.rate.RateApi;
import dev.gatehouse.testing.ManualClock;
import dev.gatehouse.waitingroom.RoomConfig;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document: valid OpenAPI 3.1, an example for every answer with a body (each valid
 * against its schema), and in step with the code it describes (the rate API's routes, the room's
 * config fields and ranges).
 */
class OpenApiDocumentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch");

    private static JsonNode document;

    @BeforeAll
    static void read() throws IOException {
        document = JSON.readTree(ApiDocs.openApiJson());
    }

    @Test
    void document_isOpenApi31_withoutParserMessages() {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult result = new OpenAPIV3Parser()
                .readContents(new String(ApiDocs.openApiJson(), StandardCharsets.UTF_8), null, options);

        assertThat(result.getMessages()).isEmpty();
        assertThat(result.getOpenAPI()).isNotNull();
        assertThat(result.getOpenAPI().getOpenapi()).startsWith("3.1.");
        assertThat(result.getOpenAPI().getPaths()).hasSize(document.get("paths").size());
    }

    @Test
    void version_isTheProjects() {
        assertThat(document.get("openapi").asText()).matches("3\\.1\\.\\d+");
        assertThat(document.at("/info/version").asText()).isNotEmpty().doesNotContain("@");
    }

    @Test
    void everyOperation_hasAnExampleForEveryBody_andSaysWhenThereIsNone() {
        List<String> operations = new ArrayList<>();
        forEachOperation((path, method, operation) -> {
            String name = method.toUpperCase(Locale.ROOT) + " " + path;
            operations.add(name);
            assertThat(operation.path("operationId").asText()).as(name).isNotEmpty();
            JsonNode responses = operation.get("responses");
            assertThat(responses).as(name + " responses").isNotNull().isNotEmpty();
            responses.properties().forEach(entry -> {
                JsonNode response = resolve(entry.getValue());
                String where = name + " " + entry.getKey();
                JsonNode content = response.get("content");
                if (content == null) {
                    assertThat(response.get("description").asText())
                            .as(where + ": a response without content says its body is empty")
                            .containsIgnoringCase("empty body");
                    return;
                }
                content.properties().forEach(media -> {
                    JsonNode examples = media.getValue().get("examples");
                    assertThat(examples)
                            .as(where + " " + media.getKey() + " examples")
                            .isNotNull();
                    assertThat(examples.size()).as(where + " " + media.getKey()).isPositive();
                });
            });
        });
        assertThat(operations).hasSize(19);
    }

    @Test
    void everyExample_matchesItsSchema() {
        List<String> problems = new ArrayList<>();
        forEachOperation((path, method, operation) -> {
            String name = method.toUpperCase(Locale.ROOT) + " " + path;
            JsonNode body = operation.at("/requestBody/content");
            body.properties()
                    .forEach(media -> checkExamples(name + " request " + media.getKey(), media.getValue(), problems));
            operation.get("responses").properties().forEach(entry -> {
                JsonNode content = resolve(entry.getValue()).path("content");
                content.properties().forEach(media -> {
                    String where = name + " " + entry.getKey() + " " + media.getKey();
                    if (media.getKey().startsWith("text/")) {
                        media.getValue().get("examples").forEach(example -> {
                            if (!example.get("value").isTextual()) {
                                problems.add(where + ": a text example that is not a string");
                            }
                        });
                    } else {
                        checkExamples(where, media.getValue(), problems);
                    }
                });
            });
        });
        for (JsonNode parameter : allParameters()) {
            JsonNode resolved = resolve(parameter);
            if (resolved.has("example")) {
                SchemaCheck.check(
                        document,
                        resolved.get("schema"),
                        coerce(resolved.get("example"), resolved.get("schema")),
                        "parameter " + resolved.get("name").asText(),
                        problems);
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void rateRoutes_areAllDocumented() {
        ManualClock clock = new ManualClock();
        RateService service = RateService.builder(
                        new RatePolicy(RateLimits.of(100, 400, 1000, Algorithm.FIXED_WINDOW), List.of()))
                .clock(clock)
                .scheduler(clock)
                .build();
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            RateApi api = new RateApi(service, 10);
            api.mount(router);
            api.mountDebug(router);

            assertThat(documented()).containsAll(routes(router));
            assertThat(routes(router)).hasSize(6);
        } finally {
            vertx.close();
            service.close();
        }
    }

    @Test
    void docsRoutes_areDocumented_exceptTheAssets() {
        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            ApiDocs.mount(router);

            Set<String> routes = routes(router);
            routes.removeIf(route -> route.startsWith("GET " + ApiDocs.ASSETS_PATH));
            assertThat(routes).containsExactlyInAnyOrder("GET /openapi.json", "GET /docs", "GET /redoc");
            assertThat(documented()).containsAll(routes);
        } finally {
            vertx.close();
        }
    }

    @Test
    void roomConfig_fieldsAndRanges_areRoomConfigs() {
        JsonNode properties = document.at("/components/schemas/RoomConfig/properties");
        Map<String, List<Long>> documented = new LinkedHashMap<>();
        properties
                .properties()
                .forEach(field -> documented.put(
                        field.getKey(),
                        List.of(
                                field.getValue().get("minimum").asLong(),
                                field.getValue().get("maximum").asLong())));
        Map<String, List<Long>> actual = new LinkedHashMap<>();
        for (RoomConfig.Field field : RoomConfig.Field.values()) {
            actual.put(field.wireName(), List.of(field.min(), field.max()));
        }

        assertThat(documented).containsExactlyEntriesOf(actual);
        Set<String> required = new TreeSet<>();
        document.at("/components/schemas/RoomConfig/required").forEach(name -> required.add(name.asText()));
        assertThat(required).isEqualTo(new TreeSet<>(actual.keySet()));
        Set<String> changeable = new TreeSet<>();
        document.at("/components/schemas/RoomConfigChange/properties")
                .fieldNames()
                .forEachRemaining(changeable::add);
        assertThat(changeable).isEqualTo(new TreeSet<>(actual.keySet()));
    }

    @Test
    void roomConfigExamples_areValidRoomConfigs() {
        List<JsonNode> configs = new ArrayList<>();
        document.at("/paths/~1config/get/responses/200/content/application~1json/examples")
                .forEach(example -> configs.add(example.at("/value/updated_config")));
        document.at("/paths/~1config/post/responses/200/content/application~1json/examples")
                .forEach(example -> configs.add(example.at("/value/updated_config")));
        assertThat(configs).isNotEmpty();
        for (JsonNode config : configs) {
            Map<RoomConfig.Field, Long> values = new LinkedHashMap<>();
            config.properties()
                    .forEach(field -> values.put(
                            RoomConfig.Field.named(field.getKey()).orElseThrow(),
                            field.getValue().asLong()));
            RoomConfig.of(values); // throws when a value is out of range or a field is missing
        }
        JsonNode defaults = document.at("/paths/~1config/get/responses/200/content/application~1json/examples")
                .elements()
                .next()
                .at("/value/updated_config");
        RoomConfig.DEFAULTS
                .values()
                .forEach((field, value) -> assertThat(
                                defaults.get(field.wireName()).asLong())
                        .as(field.wireName())
                        .isEqualTo(value));
    }

    // --- helpers ------------------------------------------------------------------------------------

    private interface OperationVisitor {
        void visit(String path, String method, JsonNode operation);
    }

    private static void forEachOperation(OperationVisitor visitor) {
        document.get("paths")
                .properties()
                .forEach(path -> path.getValue().properties().forEach(member -> {
                    if (METHODS.contains(member.getKey())) {
                        visitor.visit(path.getKey(), member.getKey(), member.getValue());
                    }
                }));
    }

    private static Set<String> documented() {
        Set<String> operations = new TreeSet<>();
        forEachOperation((path, method, operation) -> operations.add(method.toUpperCase(Locale.ROOT) + " " + path));
        return operations;
    }

    /** "METHOD /path/{param}" for every route of {@code router}. */
    private static Set<String> routes(Router router) {
        Set<String> routes = new TreeSet<>();
        for (Route route : router.getRoutes()) {
            String path = route.getPath().replaceAll(":([A-Za-z]+)", "{$1}");
            for (HttpMethod method : route.methods()) {
                routes.add(method.name() + " " + path);
            }
        }
        return routes;
    }

    private static List<JsonNode> allParameters() {
        List<JsonNode> parameters = new ArrayList<>();
        document.get("paths").forEach(path -> {
            path.path("parameters").forEach(parameters::add);
            path.properties().forEach(member -> {
                if (METHODS.contains(member.getKey())) {
                    member.getValue().path("parameters").forEach(parameters::add);
                }
            });
        });
        return parameters;
    }

    private static void checkExamples(String where, JsonNode media, List<String> problems) {
        JsonNode schema = media.get("schema");
        Iterator<Map.Entry<String, JsonNode>> examples =
                media.path("examples").properties().iterator();
        while (examples.hasNext()) {
            Map.Entry<String, JsonNode> example = examples.next();
            SchemaCheck.check(
                    document,
                    schema,
                    example.getValue().get("value"),
                    where + " example " + example.getKey(),
                    problems);
        }
    }

    /** A parameter's example as the server reads it: query and header values are text, numbers parsed. */
    private static JsonNode coerce(JsonNode example, JsonNode schema) {
        if ("integer".equals(schema.path("type").asText()) && example.isTextual()) {
            return JSON.getNodeFactory().numberNode(Long.parseLong(example.asText()));
        }
        return example;
    }

    private static JsonNode resolve(JsonNode node) {
        return SchemaCheck.resolve(document, node);
    }
}
