package dev.gatehouse.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;

/** The {@code gatehouse} executable. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        Charset charset = Charset.defaultCharset(); // what PrintWriter(OutputStream) picks, stated
        System.exit(Cli.run(
                args,
                System.getenv(),
                new PrintWriter(System.out, true, charset),
                new PrintWriter(System.err, true, charset)));
    }
}
