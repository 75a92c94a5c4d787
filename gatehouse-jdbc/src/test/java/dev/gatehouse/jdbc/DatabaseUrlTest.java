package dev.gatehouse.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatabaseUrlTest {

    @Test
    void gatekeeperApisSqlAlchemyUrl_givesTheJdbcUrlUserAndDecodedPassword() {
        DatabaseUrl url =
                DatabaseUrl.parse("postgresql+asyncpg://gatekeeper:p%40ss%2Fw%3Ard@db.internal:5432/gatekeeper");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/gatekeeper");
        assertThat(url.user()).contains("gatekeeper");
        assertThat(url.password()).contains("p@ss/w:rd");
        assertThat(url.schema()).isEmpty();
        assertThat(url.masked()).isEqualTo("postgresql+asyncpg://gatekeeper:***@db.internal:5432/gatekeeper");
        assertThat(url).hasToString(url.masked());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "postgresql://app:pw@db/app                    | jdbc:postgresql://db/app",
                "postgres://app:pw@db:6432/app                 | jdbc:postgresql://db:6432/app",
                "postgresql+psycopg2://app:pw@db/app           | jdbc:postgresql://db/app",
                "postgresql://app:pw@10.0.0.5:5432/app         | jdbc:postgresql://10.0.0.5:5432/app",
                "postgresql://app:pw@[::1]:5433/app            | jdbc:postgresql://[::1]:5433/app",
                "postgresql://app:pw@db/my%20db                | jdbc:postgresql://db/my+db",
                "  postgresql://app:pw@db/app                  | jdbc:postgresql://db/app",
            })
    void urlForms_giveTheJdbcUrl(String given, String jdbcUrl) {
        DatabaseUrl url = DatabaseUrl.parse(given);

        assertThat(url.jdbcUrl()).isEqualTo(jdbcUrl);
        assertThat(url.user()).contains("app");
        assertThat(url.password()).contains("pw");
    }

    @Test
    void password_isReadAsSqlAlchemyReadsIt_toTheNextAt() {
        DatabaseUrl url = DatabaseUrl.parse("postgresql://app:a:b/c?d+e%25@db/app");

        assertThat(url.password()).contains("a:b/c?d+e%");
        assertThat(url.masked()).isEqualTo("postgresql://app:***@db/app");
        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db/app");
    }

    @Test
    void userWithoutPassword_andNoUserAtAll() {
        DatabaseUrl userOnly = DatabaseUrl.parse("postgresql://app@db/app");
        assertThat(userOnly.user()).contains("app");
        assertThat(userOnly.password()).isEmpty();
        assertThat(userOnly.masked()).isEqualTo("postgresql://app@db/app");

        DatabaseUrl nobody = DatabaseUrl.parse("postgresql://db/app");
        assertThat(nobody.user()).isEmpty();
        assertThat(nobody.password()).isEmpty();
    }

    @Test
    void supportedParameters_becomePgjdbcs() {
        DatabaseUrl url = DatabaseUrl.parse(
                "postgresql://app:pw@db/app?sslmode=verify-full&application_name=gate%20house&connect_timeout=5");

        assertThat(url.jdbcUrl())
                .isEqualTo("jdbc:postgresql://db/app?sslmode=verify-full&ApplicationName=gate+house&connectTimeout=5");
    }

    @ParameterizedTest
    @CsvSource({"require, require", "true, require", "false, disable", "verify-ca, verify-ca"})
    void asyncpgsSsl_isAnSslMode(String ssl, String sslMode) {
        assertThat(DatabaseUrl.parse("postgresql+asyncpg://app:pw@db/app?ssl=" + ssl)
                        .jdbcUrl())
                .isEqualTo("jdbc:postgresql://db/app?sslmode=" + sslMode);
    }

    @Test
    void jdbcUrl_losesItsUserAndPasswordToTheirOwnFields() {
        DatabaseUrl url = DatabaseUrl.parse(
                "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&password=s%40cret+x&sslmode=disable&currentSchema=gh");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test?sslmode=disable&currentSchema=gh");
        assertThat(url.user()).contains("postgres");
        assertThat(url.password()).contains("s@cret x");
        assertThat(url.schema()).contains("gh");
        assertThat(url.masked())
                .isEqualTo(
                        "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&password=***&sslmode=disable&currentSchema=gh");
    }

    @Test
    void jdbcUrl_withoutParameters_isKeptAsItIs() {
        DatabaseUrl url = DatabaseUrl.parse("jdbc:postgresql://db/app");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db/app");
        assertThat(url.user()).isEmpty();
        assertThat(url.password()).isEmpty();
        assertThat(url.masked()).isEqualTo("jdbc:postgresql://db/app");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "''                                            | empty (expected: postgresql://user:password@host:5432/database)",
                "mysql://app:s3cret@db/app                     | unknown scheme",
                "db.internal:5432/app                          | unknown scheme",
                "jdbc:mysql://db/app?password=s3cret           | a JDBC URL for another database",
                "postgresql://app:s3c@ret@db/app               | '@' after the user information (write an '@' in the user name or password as %40)",
                "postgresql://app:s3cret@db:99999/app          | the port is not a number in 1..65535",
                "postgresql://app:s3cret/app                   | the port is not a number in 1..65535",
                "postgresql://app:s3cret@db1:5432,db2:5432/app | the port is not a number in 1..65535 (one host only",
                "postgresql://app:s3cret@db                    | no database name",
                "postgresql://app:s3cret@db/                   | no database name",
                "postgresql://app:s3cret@/app                  | no host",
                "postgresql://app:s3cret%zz@db/app             | the password has a '%' not followed by two hex digits",
                "postgresql://app:s3cret%ff@db/app             | the password is not UTF-8 once percent-decoded",
                "postgresql://app:s3cret@db/app#s3cret         | a '#' fragment",
                "postgresql://app:s3cret@db/app?options=x      | parameter options is not supported in a postgresql:// URL (supported: sslmode, ssl,",
                "postgresql://app:s3cret@db/app?sslmode=maybe  | parameter sslmode \"maybe\" (expected: one of disable,",
                "postgresql://app:s3cret@db/app?connect_timeout=soon | parameter connect_timeout \"soon\" (expected: whole seconds)",
                "postgresql://app:s3cret@db/app?sslmode=require&sslmode=disable | parameter sslmode given twice",
                "postgresql://app:s3cret@db/app?ssl=true&sslmode=disable | both ssl and sslmode given",
                "jdbc:postgresql://db/app?password=s3cret&currentSchema=a,b | currentSchema \"a,b\" (expected: one schema name",
                "jdbc:postgresql://db/app?password=s3cret%zz   | the password parameter has a '%' not followed by two hex digits",
            })
    void badUrls_areRefusedNamingTheProblemAndNeverThePassword(String given, String problem) {
        assertThatThrownBy(() -> DatabaseUrl.parse(given))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("database URL: " + problem)
                .hasMessageNotContaining("s3c")
                .hasMessageNotContaining("ret");
    }
}
