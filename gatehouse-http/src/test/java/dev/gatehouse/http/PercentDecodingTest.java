package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PercentDecodingTest {

    /** "é" as the HTTP decoder hands over raw bytes: one character per byte. */
    private static final String RAW_E_ACUTE = "\u00c3\u00a9";

    private static String path(String raw) {
        return PercentDecoding.path(raw, 0, raw.length());
    }

    @Test
    void path_rawBytesAndEscapes_decodeToTheSameUtf8Key() {
        assertThat(path("caf" + RAW_E_ACUTE)).isEqualTo("café");
        assertThat(path("caf%C3%A9")).isEqualTo("café");
        assertThat(path("caf%c3%a9")).isEqualTo("café");
    }

    @ParameterizedTest
    @ValueSource(strings = {"%e9", "%ea", "%zz", "%", "%4", "a%g1", "%C3", "%C0%AF", "%ED%A0%80", "\u00e9"})
    void path_malformedEscapeOrNotUtf8_isUndecodable(String raw) {
        assertThat(path(raw)).isNull();
    }

    @Test
    void path_plusAndSlashEscape_areKeptAsThemselves() {
        assertThat(path("a+b%2Fc")).isEqualTo("a+b/c");
    }

    @Test
    void query_readsLikeGo_firstValueWins_semicolonPairsAreIgnored() {
        PercentDecoding.Query query = PercentDecoding.query("a=1&a=2&b=x+y&c=%41;d=4&e&=f");

        assertThat(query.first("a")).isEqualTo("1");
        assertThat(query.first("b")).isEqualTo("x y");
        assertThat(query.first("c")).isNull();
        assertThat(query.first("d")).isNull();
        assertThat(query.first("e")).isEmpty();
    }

    @Test
    void query_undecodableValue_isMarkedMalformedForItsName() {
        PercentDecoding.Query query = PercentDecoding.query("maxRequests=%zz&canWait=%e9&ok=1&maxRequests=5");

        assertThat(query.malformed("maxRequests")).isTrue();
        assertThat(query.first("maxRequests")).isNull();
        assertThat(query.malformed("canWait")).isTrue();
        assertThat(query.malformed("ok")).isFalse();
    }

    @Test
    void query_nullOrEmpty_hasNoParameters() {
        assertThat(PercentDecoding.query(null).first("a")).isNull();
        assertThat(PercentDecoding.query("").first("a")).isNull();
        assertThat(PercentDecoding.query("&&").first("")).isNull();
    }
}
