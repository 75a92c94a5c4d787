package dev.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gatehouse.gateway.Gateway;
import dev.gatehouse.gateway.config.GatewayConfig;
import dev.gatehouse.http.settings.ResolvedSettings;
import dev.gatehouse.rate.KeyRules;
import dev.gatehouse.server.GatehouseServer;
import dev.gatehouse.testing.Await;
import dev.gatehouse.testing.RequiredServices;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of {@code deploy/}, as far as they can be tried without a container engine or a
 * cluster: every manifest reads, its probes and Services name ports the containers declare, the
 * settings and files they hand Gatehouse are accepted by it, and every metric the Grafana dashboard
 * queries is one a running server or gateway exports.
 */
class DeployFilesTest {

    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern METRIC = Pattern.compile("gatehouse_[a-z_]+");

    @TempDir
    Path dir;

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (var values = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
            while (values.hasNext()) {
                documents.add(values.next());
            }
        }
        return documents;
    }

    private static JsonNode ofKind(List<JsonNode> documents, String kind) {
        return documents.stream()
                .filter(d -> d.path("kind").asText().equals(kind))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind));
    }

    @Test
    void everyProbeAndServiceNamesAPortItsContainerDeclares() throws IOException {
        for (String manifest : List.of("gatehouse-serve.yaml", "gateway-sidecar.yaml")) {
            List<JsonNode> documents = documents(DEPLOY.resolve("k8s").resolve(manifest));
            JsonNode pod = ofKind(documents, "Deployment").path("spec").path("template");
            Set<String> ports = new HashSet<>();
            for (JsonNode container : pod.path("spec").path("containers")) {
                container
                        .path("ports")
                        .forEach(port -> ports.add(port.path("name").asText()));
                for (String probe : List.of("readinessProbe", "livenessProbe")) {
                    if (container.has(probe)) {
                        assertThat(ports)
                                .as(manifest + " " + probe)
                                .contains(container
                                        .path(probe)
                                        .path("httpGet")
                                        .path("port")
                                        .asText());
                        assertThat(container
                                        .path(probe)
                                        .path("httpGet")
                                        .path("path")
                                        .asText())
                                .isIn("/readyz", "/healthz");
                    }
                }
            }
            JsonNode service = ofKind(documents, "Service");
            service.path("spec")
                    .path("ports")
                    .forEach(port -> assertThat(ports)
                            .as(manifest + " Service")
                            .contains(port.path("targetPort").asText()));
            assertThat(service.path("spec").path("selector"))
                    .isEqualTo(pod.path("metadata").path("labels"));
        }
    }

    @Test
    void theServiceSettingsAndKeyFileOfTheConfigMapAreAccepted() throws IOException {
        JsonNode data = ofKind(documents(DEPLOY.resolve("k8s/gatehouse-serve.yaml")), "ConfigMap")
                .path("data");
        Path settings = Files.writeString(
                dir.resolve("gatehouse.yml"), data.path("gatehouse.yml").asText());
        Path keys = Files.writeString(
                dir.resolve("keys.json"), data.path("keys.json").asText());
        assertThat(KeyRules.read(keys)).isNotEmpty();

        Map<String, String> secrets = Map.of(
                "GATEHOUSE_REDIS_URL", "redis://redis:6379",
                "BUSINESS_IDS", "shop-key",
                "JWT_SECRET", "0123456789abcdef0123456789abcdef");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Cli.run(
                new String[] {"serve", "--config", settings.toString(), "-c", keys.toString(), "--print-config"},
                secrets,
                new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("type: redis  # config").contains("nodes: 3  # config");
    }

    @Test
    void composesEnvironmentIsWhatServeReads() throws IOException {
        JsonNode gatehouse = YAML.readTree(DEPLOY.resolve("compose.yml").toFile())
                .path("services")
                .path("gatehouse");
        Map<String, String> env = new HashMap<>();
        gatehouse.path("environment").properties().forEach(entry -> env.put(entry.getKey(), "x"));
        env.put("REDIS_URL", "redis://redis:6379");
        env.put("DATABASE_URL", "postgresql://gatehouse:gatehouse@postgres:5432/gatehouse");
        env.put("JWT_SECRET", "0123456789abcdef0123456789abcdef");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Cli.run(
                new String[] {"serve", "--print-config"}, env, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        for (String name : env.keySet()) {
            assertThat(out.toString()).as("%s is read", name).contains(name);
        }
    }

    @Test
    void theSidecarsFilePassesTheGatewaysCheck() throws IOException {
        JsonNode secret = ofKind(documents(DEPLOY.resolve("k8s/gateway-sidecar.yaml")), "Secret");
        Path file = Files.writeString(
                dir.resolve("gateway.yml"),
                secret.path("stringData").path("gateway.yml").asText());
        StringWriter err = new StringWriter();
        int exit = Cli.run(
                new String[] {"gateway", "--config", file.toString(), "--check"},
                Map.of(),
                new PrintWriter(new StringWriter(), true),
                new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
    }

    /** Every metric the dashboard queries, exported by a server (Redis, rooms) and a gateway that saw traffic. */
    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        String redis = RequiredServices.redis();
        Set<String> queried = new TreeSet<>();
        Matcher names = METRIC.matcher(Files.readString(DEPLOY.resolve("grafana/gatehouse-dashboard.json")));
        while (names.find()) {
            queried.add(names.group());
        }
        assertThat(JSON.readTree(DEPLOY.resolve("grafana/gatehouse-dashboard.json")
                                .toFile())
                        .path("panels")
                        .size())
                .isPositive();

        String prefix = "deploy-test-" + UUID.randomUUID() + ":";
        Map<String, String> env = Map.of(
                "GATEHOUSE_HOST", "127.0.0.1",
                "PORT", "0",
                "GATEHOUSE_ADMIN_PORT", "0",
                "GATEHOUSE_STORE", "redis",
                "GATEHOUSE_REDIS_URL", redis,
                "GATEHOUSE_STORE_KEY_PREFIX", prefix,
                "GATEHOUSE_ROOM_KEY_PREFIX", prefix + "room:",
                "BUSINESS_IDS", "deploy-key",
                "JWT_SECRET", "0123456789abcdef0123456789abcdef");
        HttpClient client = HttpClient.newHttpClient();
        Set<String> exported = new HashSet<>();
        try (GatehouseServer server = GatehouseServer.start(
                ResolvedSettings.resolve(GatehouseServer.SETTINGS, Optional.empty(), Map.of(), env))) {
            String rate = "http://127.0.0.1:" + server.ratePort();
            send(client, "GET", rate + "/rate/k?maxRequests=1");
            send(client, "GET", rate + "/rate/k?maxRequests=1");
            send(client, "POST", rate + "/queue/enqueue", "business_id", "deploy-key", "user_id", "u1");
            String admin = "http://127.0.0.1:" + server.adminPort() + "/metrics";
            Await.until(
                    Duration.ofSeconds(20), () -> scrape(client, admin).contains("gatehouse_room_wait_seconds_bucket"));
            exported.addAll(scrape(client, admin));

            try (Gateway gateway = Gateway.start(GatewayConfig.parse("""
                            listen: 127.0.0.1:0
                            admin_listen: 127.0.0.1:0
                            upstream: %s
                            rate_limit: {rps: 100}
                            circuit_breaker: {failure_ratio: 0.5}
                            adaptive: {enabled: true}
                            pow: {enabled: true, base_difficulty: 4, max_difficulty: 4}
                            queue: {type: fifo}
                            waiting_room: {paths: [/room], capacity: 1}
                            """.formatted(rate)), Optional.empty())) {
                String site = "http://127.0.0.1:" + gateway.port();
                send(client, "GET", site + "/rate/through");
                send(client, "GET", site + "/room");
                send(client, "POST", site + "/__gatehouse__/challenge");
                send(client, "POST", site + "/__gatehouse__/solve", "Content-Type", "application/json");
                exported.addAll(scrape(client, "http://127.0.0.1:" + gateway.adminPort() + "/metrics"));
            }
        }
        assertThat(exported).containsAll(queried);
    }

    private static Set<String> scrape(HttpClient client, String url) {
        Set<String> names = new HashSet<>();
        for (String line : send(client, "GET", url).body().split("\n", -1)) {
            Matcher name = METRIC.matcher(line);
            if (!line.startsWith("#") && name.lookingAt()) {
                names.add(name.group());
            }
        }
        return names;
    }

    private static HttpResponse<String> send(HttpClient client, String method, String url, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.ofString(method.equals("POST") ? "{}" : ""));
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
