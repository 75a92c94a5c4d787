package dev.gatehouse.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Base64UrlTest {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /** The definition: a string decodes when it is the unpadded encoding of what the JDK decodes it to. */
    private static boolean canonical(String text) {
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(text);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes).equals(text);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Test
    void everyStringOfTwoAndThreeCharacters_decodesExactlyWhenCanonical() {
        for (int a = 0; a < 64; a++) {
            for (int b = 0; b < 64; b++) {
                String two = "" + ALPHABET.charAt(a) + ALPHABET.charAt(b);
                assertThat(Base64Url.decode(two).isPresent()).as(two).isEqualTo(canonical(two));
                for (int c = 0; c < 64; c++) {
                    String three = two + ALPHABET.charAt(c);
                    assertThat(Base64Url.decode(three).isPresent()).as(three).isEqualTo(canonical(three));
                    assertThat(Base64Url.decode("AAAA" + three).isPresent()).isEqualTo(canonical(three));
                    if (canonical(three)) { // the bytes are the JDK's, and a range decodes as its substring
                        byte[] expected = Base64.getUrlDecoder().decode("AAAA" + three);
                        assertThat(Base64Url.decode("AAAA" + three))
                                .hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(expected));
                        assertThat(Base64Url.decode("x.AAAA" + three + ".y", 2, 9))
                                .hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(expected));
                    }
                }
            }
        }
    }

    @Test
    void randomBytes_roundTrip_andAFlippedUnusedBitIsRefused() {
        SplittableRandom random = new SplittableRandom(1);
        for (int length = 0; length < 64; length++) {
            byte[] bytes = new byte[length];
            random.nextBytes(bytes);
            String text = Base64Url.encode(bytes);

            assertThat(Base64Url.decode(text))
                    .hasValueSatisfying(decoded -> assertThat(decoded).isEqualTo(bytes));
            if (text.length() % 4 != 0) {
                char last = text.charAt(text.length() - 1);
                String flipped = text.substring(0, text.length() - 1) + ALPHABET.charAt(ALPHABET.indexOf(last) ^ 1);
                assertThat(Base64Url.decode(flipped)).as(flipped).isEmpty();
            }
        }
    }

    @Test
    void paddingForeignCharactersAndImpossibleLengths_areRefused() {
        assertThat(Base64Url.decode("QQ==")).isEmpty();
        assertThat(Base64Url.decode("QQ"))
                .hasValueSatisfying(bytes -> assertThat(bytes).containsExactly((byte) 0x41));
        assertThat(Base64Url.decode("a+b/")).isEmpty();
        assertThat(Base64Url.decode("abcde")).isEmpty();
        assertThat(Base64Url.decode(""))
                .hasValueSatisfying(bytes -> assertThat(bytes).isEmpty());
        assertThatThrownBy(() -> Base64Url.decode("abcd", 3, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Base64Url.decode("abcd", 0, 5)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void everyCharacterOutsideTheAlphabet_isRefusedInEveryPlaceOfAGroup() {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            boolean inAlphabet = ALPHABET.indexOf(c) >= 0;
            for (int place = 0; place < 4; place++) { // 'A' as neighbour: every spelling below is canonical
                char[] group = "AAAA".toCharArray();
                group[place] = (char) c;
                String text = "QUJD" + new String(group);
                assertThat(Base64Url.decode(text).isPresent())
                        .as("U+%04X at %d", c, place)
                        .isEqualTo(inAlphabet);
            }
            if (!inAlphabet) { // and in every place of a partial group of two or three
                assertThat(Base64Url.decode("A" + (char) c)).isEmpty();
                assertThat(Base64Url.decode((char) c + "A")).isEmpty();
                assertThat(Base64Url.decode("AA" + (char) c)).isEmpty();
                assertThat(Base64Url.decode("A" + (char) c + "A")).isEmpty();
                assertThat(Base64Url.decode((char) c + "AA")).isEmpty();
            }
        }
    }
}
