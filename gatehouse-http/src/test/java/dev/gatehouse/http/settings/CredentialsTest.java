package dev.gatehouse.http.settings;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CredentialsTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "redis://user:s3cret@cache:6379     | redis://user:***@cache:6379",
                "redis://:s3cret@cache:6379         | redis://:***@cache:6379",
                "redis://s3cret@cache:6379          | redis://***@cache:6379",
                "rediss://user:s3:cr:et@cache/0     | rediss://user:***@cache/0",
                "redis://cache:6379/0               | redis://cache:6379/0",
                "a redis://u:p1@h1,redis://p2@h2 b  | a redis://u:***@h1,redis://***@h2 b",
                "jdbc:postgresql://db/app?user=u&password=s3cret&ssl=true | jdbc:postgresql://db/app?user=u&password=***&ssl=true",
                "jdbc:postgresql://db/app?password=s3%40cret              | jdbc:postgresql://db/app?password=***",
                "postgresql+asyncpg://u:s3cret@db/app                     | postgresql+asyncpg://u:***@db/app",
                "jdbc:postgresql://db/app?user=u&sslmode=require          | jdbc:postgresql://db/app?user=u&sslmode=require",
            })
    void masked_hidesEveryPasswordAndNothingElse(String text, String expected) {
        assertThat(Credentials.masked(text)).isEqualTo(expected);
    }
}
