package dev.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** A path is judged as resolved as an upstream could read it, so no spelling walks around a prefix. */
final class ProtectedPathsTest {

    private final ProtectedPaths shop = new ProtectedPaths(List.of("/shop"));

    @ParameterizedTest
    @CsvSource({
        "/, /",
        "'', /",
        "/a/b, /a/b",
        "/a/b/, /a/b/",
        "//a///b, /a/b",
        "/a/./b, /a/b",
        "/a/../b, /b",
        "/../../b, /b",
        "/a/%2e%2e/b, /b",
        "/a/%2E%2E%2Fb, /b",
        "/a%2fb, /a/b",
        "/a\\b, /a/b",
        "/a/%5c../b, /b",
        "/%73hop, /shop",
        "/a/.., /",
        "/bad%zz, /bad%zz",
        "/end%, /end%",
        "/caf%C3%A9, /café",
        "/a;x/b;y=1, /a/b",
        "/a/..;/b, /b",
    })
    void resolvesAsAnUpstreamMight(String raw, String resolved) {
        assertThat(ProtectedPaths.resolved(raw)).isEqualTo(resolved);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/shop",
                "/shop/cart",
                "/shopping",
                "//shop",
                "/x/../shop",
                "/x/..%2fshop",
                "/%73hop/cart",
                "/x%2f..%2fshop",
                "/.//shop",
                "\\shop"
            })
    void everySpellingOfAProtectedPathIsCovered(String raw) {
        assertThat(shop.covers(raw)).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"/%252e%252e/x, true", "/a%25zz, false", "/100%25, false", "/a%252F, true", "/%25, false"})
    void anEscapedEscapeIsSeen(String raw, boolean doubly) {
        assertThat(ProtectedPaths.doublyEscaped(raw)).isEqualTo(doubly);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/sho", "/public/shop", "/public", "/sh%6f", "/x/shop"})
    void otherPathsAreNot(String raw) {
        assertThat(shop.covers(raw)).isFalse();
    }
}
