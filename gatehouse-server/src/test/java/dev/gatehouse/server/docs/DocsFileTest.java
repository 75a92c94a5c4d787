package dev.gatehouse.server.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DocsFileTest {

    @Test
    void acceptsGzip_readsCodingsAndQValues() {
        assertThat(DocsFile.acceptsGzip(null)).isFalse();
        assertThat(DocsFile.acceptsGzip("")).isFalse();
        assertThat(DocsFile.acceptsGzip("gzip")).isTrue();
        assertThat(DocsFile.acceptsGzip("deflate, GZIP;q=0.5, br")).isTrue();
        assertThat(DocsFile.acceptsGzip("x-gzip")).isTrue();
        assertThat(DocsFile.acceptsGzip("*")).isTrue();
        assertThat(DocsFile.acceptsGzip("br, deflate")).isFalse();
        assertThat(DocsFile.acceptsGzip("gzip;q=0")).isFalse();
        assertThat(DocsFile.acceptsGzip("gzip; q=0.000")).isFalse();
        assertThat(DocsFile.acceptsGzip("gzip;q=0, *")).isFalse();
        assertThat(DocsFile.acceptsGzip("*;q=0")).isFalse();
        assertThat(DocsFile.acceptsGzip("gzip;q=0.001")).isTrue();
        assertThat(DocsFile.acceptsGzip("gzipped")).isFalse();
    }

    @Test
    void matches_comparesWeakAndStrongTagsAlike() {
        assertThat(DocsFile.matches(null, "\"a\"")).isFalse();
        assertThat(DocsFile.matches("\"a\"", "\"a\"")).isTrue();
        assertThat(DocsFile.matches("W/\"a\"", "\"a\"")).isTrue();
        assertThat(DocsFile.matches("\"b\" , \"a\"", "\"a\"")).isTrue();
        assertThat(DocsFile.matches("*", "\"a\"")).isTrue();
        assertThat(DocsFile.matches("\"b\"", "\"a\"")).isFalse();
        assertThat(DocsFile.matches("a", "\"a\"")).isFalse();
    }

    @Test
    void aFileMissingFromTheClasspath_isRefusedAtOnce() {
        assertThatThrownBy(() -> new DocsFile("dev/gatehouse/server/docs/nothing.js", "text/javascript", Map.of()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nothing.js");
    }
}
