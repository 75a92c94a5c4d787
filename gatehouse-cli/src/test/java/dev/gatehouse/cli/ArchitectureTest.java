package dev.gatehouse.cli;

import static com.tngtech.archunit.base.DescribedPredicate.alwaysTrue;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layout of docs/architecture.md, checked on the compiled classes of every production module
 * (the CLI's tests see them all): domains (the waiting room too) know no HTTP and no adapter (no
 * Redis, no JDBC), core knows only the JDK,
 * the plumbing knows no surface, surfaces (serve's and the gateway's) do not know each other, nothing
 * imports the CLI, the backend SDK (gatehouse-client) stands alone and nothing imports it, and no
 * two packages import each other, directly or around a loop.
 */
@AnalyzeClasses(packages = "dev.gatehouse", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String CORE = "dev.gatehouse.core..";
    private static final String PROOF = "dev.gatehouse.proof..";
    private static final String RATE = "dev.gatehouse.rate..";
    private static final String ROOM = "dev.gatehouse.waitingroom..";
    private static final String DOCS = "dev.gatehouse.server.docs..";
    private static final String CLIENT = "dev.gatehouse.client..";

    @ArchTest
    static final ArchRule coreImportsOnlyTheJdk = classes()
            .that()
            .resideInAPackage(CORE)
            .should()
            .onlyDependOnClassesThat()
            .resideInAnyPackage(CORE, "java..", "javax.crypto..", "org.jspecify.annotations.."); // the JDK's own HMAC

    @ArchTest
    static final ArchRule domainsImportNoHttp = noClasses()
            .that()
            .resideInAnyPackage(CORE, PROOF, RATE, ROOM)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("io.vertx..", "io.netty..", "dev.gatehouse.http..");

    @ArchTest
    static final ArchRule domainsImportNoAdapterAndNoSurface = noClasses()
            .that()
            .resideInAnyPackage(CORE, PROOF, RATE, ROOM)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "dev.gatehouse.redis..",
                    "io.lettuce..",
                    "dev.gatehouse.jdbc..",
                    "java.sql..",
                    "javax.sql..",
                    "org.postgresql..",
                    "com.zaxxer.hikari..",
                    "org.flywaydb..",
                    "dev.gatehouse.server..",
                    "dev.gatehouse.gateway..",
                    "dev.gatehouse.cli..");

    /** The Vert.x handler is a library for any Vert.x Web application: the core and Vert.x, nothing of ours beside. */
    @ArchTest
    static final ArchRule theVertxHandlerImportsOnlyTheCoreAndVertx = classes()
            .that()
            .resideInAPackage("dev.gatehouse.vertx..")
            .should()
            .onlyDependOnClassesThat()
            .resideInAnyPackage(
                    "dev.gatehouse.vertx..", CORE, "io.vertx..", "io.netty..", "java..", "org.jspecify.annotations..");

    @ArchTest
    static final ArchRule plumbingKnowsNoSurfaceAndNoDomain = noClasses()
            .that()
            .resideInAPackage("dev.gatehouse.http..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(RATE, ROOM, "dev.gatehouse.server..", "dev.gatehouse.gateway..", "dev.gatehouse.cli..");

    /**
     * The API documentation (server.docs) is no surface: every surface may mount it. It still may not
     * import a surface (only the dependencies on it are ignored).
     */
    @ArchTest
    static final ArchRule surfacesDoNotImportEachOther = slices().matching("dev.gatehouse.server.(*)..")
            .should()
            .notDependOnEachOther()
            .ignoreDependency(alwaysTrue(), resideInAPackage(DOCS));

    /** The two commands' surfaces, serve's and the gateway's, share only the plumbing and the domains. */
    @ArchTest
    static final ArchRule theGatewayImportsNoServerSurface = noClasses()
            .that()
            .resideInAPackage("dev.gatehouse.gateway..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.gatehouse.server..");

    @ArchTest
    static final ArchRule theServerImportsNoGateway = noClasses()
            .that()
            .resideInAPackage("dev.gatehouse.server..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.gatehouse.gateway..");

    @ArchTest
    static final ArchRule nothingImportsTheCli = noClasses()
            .that()
            .resideOutsideOfPackage("dev.gatehouse.cli..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.gatehouse.cli..");

    /** The backend SDK ships to other people's services: the JDK, jackson-core and the annotations, nothing of ours. */
    @ArchTest
    static final ArchRule theClientImportsNoOtherModule = classes()
            .that()
            .resideInAPackage(CLIENT)
            .should()
            .onlyDependOnClassesThat()
            .resideInAnyPackage(CLIENT, "java..", "com.fasterxml.jackson.core..", "org.jspecify.annotations..");

    @ArchTest
    static final ArchRule nothingImportsTheClient = noClasses()
            .that()
            .resideOutsideOfPackage(CLIENT)
            .should()
            .dependOnClassesThat()
            .resideInAPackage(CLIENT);

    @ArchTest
    static final ArchRule packagesAreFreeOfCycles =
            slices().matching("dev.gatehouse.(**)").should().beFreeOfCycles();
}
