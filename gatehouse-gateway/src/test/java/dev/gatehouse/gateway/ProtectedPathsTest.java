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
    @CsvSource({
        "/%252e%252e/x, true",
        "/a%25zz, false",
        "/100%25, false",
        "/a%252F, true",
        "/%25, false",
        "/%25%36%31dmin, true",
        "/%%36%31dmin, true",
        "/%6%31dmin, true",
        "/x/%25%32%65%25%32%65/admin, true",
        "/%25u0061dmin, true",
        "/%u0061dmin, true",
        "/a%2fb, false"
    })
    void anEscapedEscapeIsSeen(String raw, boolean doubly) {
        if (doubly) {
            assertThat(ProtectedPaths.problem(raw)).contains("escape");
        } else {
            assertThat(ProtectedPaths.problem(raw)).isNull();
        }
    }

    @ParameterizedTest
    @CsvSource({
        "/a%00.png, an escaped control character (%00)",
        "/a%0d%0ab, an escaped control character (%0d)",
        "/a%7F, an escaped control character (%7F)",
        "/a/%c0%ae%c0%ae/b, an overlong UTF-8 escape (%c0%ae)",
        "/a/%C1%9C, an overlong UTF-8 escape (%C1%9C)",
        "/%e0%80%ae, an overlong UTF-8 escape (%e0%80)",
        "/%f0%80%80%ae, an overlong UTF-8 escape (%f0%80)",
        "/a/%C0%AE, an overlong UTF-8 escape (%C0%AE)",
        "/%E0%80, an overlong UTF-8 escape (%E0%80)",
        "/%f8%80%80%80%ae, an overlong UTF-8 escape (%f8%80)",
        "/%fc%80%80%80%80%ae, an overlong UTF-8 escape (%fc%80)",
        "/%u0061dmin, 'an IIS escape (%u0061, which some servers decode)'",
        "/x/%U002e%U002e/a, 'an IIS escape (%U002e, which some servers decode)'"
    })
    void anEscapeThatReadsAsSomethingElseToSomeUpstreamIsNamed(String raw, String problem) {
        assertThat(ProtectedPaths.problem(raw)).isEqualTo(problem);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/caf%c3%a9",
                "/caf%e9",
                "/%C1lvaro",
                "/%c0",
                "/%e0",
                "/%e0%a4%85",
                "/%f0%9f%98%80",
                "/a%2fb",
                "/a%20b",
                "/a%",
                "/a%0",
                "/%zz"
            })
    void otherEscapesAreNot(String raw) {
        assertThat(ProtectedPaths.problem(raw)).isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "//x/admin, true",
        "/\\x, true",
        "/%5C%5Cx, true",
        "/%2f/x, true",
        "\\/x, true",
        "/x//admin, false",
        "/, false"
    })
    void aPathThatAUrlParserReadsAsAHostIsSeen(String raw, boolean likeAnAuthority) {
        String problem = ProtectedPaths.problem(raw);
        assertThat(problem != null && problem.contains("two slashes")).isEqualTo(likeAnAuthority);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/adm\u00adin",
                "/adm%c2%adin",
                "/adm\u200bin",
                "/\ufeffadmin",
                "/adm\u0307in",
                "/adm%cc%80in",
                "/ad\u034fmin",
                "/admin\ufe0f",
                "/\udb40\udc01admin",
                "/adm\u3164in"
            })
    void aCharacterSomeReadingsDropIsLeftOutOfTheComparison(String raw) {
        assertThat(new ProtectedPaths(List.of("/admin")).covers(raw)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/\u0130tems", "/\u0131tems", "/ITEMS", "/\uff49tems"})
    void aDottedOrDotlessIIsTheLetterI(String raw) {
        assertThat(new ProtectedPaths(List.of("/items")).covers(raw)).isTrue();
    }

    /** What an upstream that normalizes (NFKC) reads as a slash, an escape or a dot segment. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "/x/%EF%BC%8E%EF%BC%8E/app", // ．．
                "/x/\uff0e\uff0e/app",
                "/x/%E2%80%A5/app", // ‥
                "/%EF%BC%8Fapp", // ／
                "/x%EF%BC%8F%EF%BC%8E%EF%BC%8E%EF%BC%8Fapp",
                "/x\uff3c..\uff3capp", // ＼
                "/a\uff05%32e", // ％
                "/x/\ufe52/app" // ﹒
            })
    void aCompatibilitySpellingOfASlashAnEscapeOrADotSegmentIsSeen(String raw) {
        assertThat(ProtectedPaths.problem(raw)).contains("compatibility spelling");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/caf%C3%A9", "/hello\u2026world", "/%EF%BC%A1pp", "/\u2488x", "/x.y/z"})
    void otherNonAsciiPathsAreNot(String raw) {
        assertThat(ProtectedPaths.problem(raw)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/sho", "/public/shop", "/public", "/sh%6f", "/x/shop"})
    void otherPathsAreNot(String raw) {
        assertThat(shop.covers(raw)).isFalse();
    }
}
