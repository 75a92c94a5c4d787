package dev.gatehouse.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientTextTest {

    @Test
    void shorten_clientText_escapesControlCharactersQuotesAndBackslashes() {
        assertThat(ClientText.shorten("a\u001b[31mb\r\nc\"d\\e\u0085f\u007f"))
                .isEqualTo("a\\u001b[31mb\\r\\nc\\\"d\\\\e\\u0085f\\u007f");
    }

    @Test
    void shorten_longText_isCutTo32Characters() {
        assertThat(ClientText.shorten("x".repeat(40))).isEqualTo("x".repeat(32) + "...");
        assertThat(ClientText.shorten("plain")).isEqualTo("plain");
    }
}
