package dev.gatehouse.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gatehouse version}: the Gatehouse version and the Java runtime it runs on. */
@Command(
        name = "version",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.class,
        description = "Prints the version and exits.")
public final class VersionCommand implements Callable<Integer>, CommandLine.IVersionProvider {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println(getVersion()[0]);
        return 0;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"gatehouse " + version() + " (Java " + Runtime.version() + ")"};
    }

    /** The version this build was made as. */
    public static String version() {
        try (InputStream in = VersionCommand.class.getResourceAsStream("version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
