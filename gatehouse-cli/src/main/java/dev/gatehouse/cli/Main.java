package dev.gatehouse.cli;

import java.io.PrintWriter;

/** The {@code gatehouse} executable. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        System.exit(
                Cli.run(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }
}
