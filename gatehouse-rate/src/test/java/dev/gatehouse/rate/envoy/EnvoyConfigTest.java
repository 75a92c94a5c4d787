package dev.gatehouse.rate.envoy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** envoyproxy/ratelimit's configuration rules, each broken once and named as it names them. */
class EnvoyConfigTest {

    private static EnvoyConfig parse(String yaml) {
        return EnvoyConfig.parse(Map.of("f.yaml", yaml));
    }

    @Test
    void eachBrokenRuleIsNamedAfterTheFile() {
        assertThatThrownBy(() -> parse("domain: d\nbogus: 1\n"))
                .hasMessage("f.yaml: config error, unknown key 'bogus'");
        assertThatThrownBy(() -> parse("descriptors: []\n")).hasMessage("f.yaml: config file cannot have empty domain");
        assertThatThrownBy(() -> parse("domain: d\ndescriptors:\n  - value: v\n"))
                .hasMessage("f.yaml: descriptor has empty key");
        assertThatThrownBy(() -> parse("domain: d\ndescriptors:\n  - key: k\n  - key: k\n"))
                .hasMessage("f.yaml: duplicate descriptor composite key 'd.k'");
        assertThatThrownBy(
                        () -> parse(
                                "domain: d\ndescriptors:\n  - key: k\n    value: v\n    rate_limit: {unit: fortnight, requests_per_unit: 1}\n"))
                .hasMessage("f.yaml: invalid rate limit unit 'fortnight'");
        assertThatThrownBy(() ->
                        parse("domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unlimited: true, unit: second}\n"))
                .hasMessage("f.yaml: should not specify rate limit unit when unlimited");
        assertThatThrownBy(
                        () -> parse(
                                "domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, replaces: [{name: ''}]}\n"))
                .hasMessage("f.yaml: should not have an empty replaces entry");
        assertThatThrownBy(
                        () -> parse(
                                "domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, name: a, replaces: [{name: a}]}\n"))
                .hasMessage("f.yaml: replaces should not contain name of same descriptor");
        assertThatThrownBy(
                        () -> parse(
                                "domain: d\ndescriptors:\n  - key: k\n    value: v\n    share_threshold: true\n    rate_limit: {unit: second}\n"))
                .hasMessageContaining("share_threshold can only be used with wildcard values");
        assertThatThrownBy(() -> parse(
                        "domain: d\ndescriptors:\n  - key: k\n    rate_limit: {unit: second, requests_per_unit: -1}\n"))
                .hasMessageContaining("requests_per_unit of 'd.k': -1");
        assertThatThrownBy(() -> parse("domain: d\ndescriptors:\n  - key: k\n    shadow_mode: yes please\n"))
                .hasMessageContaining("shadow_mode");
        assertThatThrownBy(() -> parse("domain: [d\n")).hasMessageStartingWith("f.yaml: error loading config file");
        assertThatThrownBy(() -> parse("domain: d\ndomain: e\n"))
                .as("a key twice")
                .hasMessageContaining("Duplicate field 'domain'");
        assertThatThrownBy(() -> parse("domain: d\n---\ndomain: e\nbogus: 1\n"))
                .hasMessage("f.yaml: more than one YAML document (one domain per file)");
        Map<String, String> two = new LinkedHashMap<>();
        two.put("a.yaml", "domain: d\n");
        two.put("b.yaml", "domain: d\n");
        assertThatThrownBy(() -> EnvoyConfig.parse(two)).hasMessage("b.yaml: duplicate domain 'd' in config file");
    }

    @Test
    void whatItAcceptsLoads() {
        EnvoyConfig config = parse("""
                domain: d
                descriptors:
                  - key: k
                    value: v
                    detailed_metric: true
                    value_to_metric: true
                    metadata: {anything: [1, 2], goes: here}
                    rate_limit: {unit: YEAR, requests_per_unit: 4294967295, name: n}
                  - key: k
                  - key: k
                    value: w*
                """);
        assertThat(config.domains()).containsExactly("d");
        assertThat(config.match("d", List.of(new Descriptor.Entry("k", "v"))))
                .hasValueSatisfying(
                        match -> assertThat(match.rule().requestsPerUnit()).isEqualTo(4_294_967_295L));
        assertThat(config.match("d", List.of(new Descriptor.Entry("k", "x"))))
                .as("a node without a limit")
                .isEmpty();
    }

    @Test
    void aDirectoryIsReadFileByFileAndOtherFilesAreLeftAlone(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "domain: one\n");
        Files.writeString(dir.resolve("b.yml"), "domain: two\n");
        Files.writeString(dir.resolve("notes.txt"), "not a config");
        assertThat(EnvoyConfig.read(dir).domains()).containsExactlyInAnyOrder("one", "two");
        assertThatThrownBy(() -> EnvoyConfig.read(dir.resolve("missing.yaml"))).hasMessageContaining("cannot be read");
    }
}
