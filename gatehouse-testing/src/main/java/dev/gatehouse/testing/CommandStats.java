package dev.gatehouse.testing;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * Calls per command from a Redis server's {@code INFO commandstats}, whose lines read {@code
 * cmdstat_get:calls=12,usec=30,...}: what tests count round trips with. Redis counts the commands a
 * script runs as well as those clients send.
 */
public final class CommandStats {

    private CommandStats() {}

    /** Calls per command (lower-case, as Redis names them: {@code evalsha}, {@code hgetall}) in {@code info}. */
    public static Map<String, Long> calls(String info) {
        return info.lines()
                .filter(line -> line.startsWith("cmdstat_"))
                .collect(Collectors.toMap(
                        line -> line.substring("cmdstat_".length(), line.indexOf(':')),
                        line -> Long.parseLong(line.replaceAll("^[^:]*:calls=(\\d+),.*", "$1"))));
    }

    /** The scripts {@code info} counts: {@code EVALSHA} and {@code EVAL} calls. */
    public static long scripts(String info) {
        Map<String, Long> calls = calls(info);
        return calls.getOrDefault("evalsha", 0L) + calls.getOrDefault("eval", 0L);
    }
}
