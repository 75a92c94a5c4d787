package dev.gatehouse.bench;

import dev.gatehouse.core.limit.Decision;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;

/**
 * Counts the Redis commands behind each decision of the two limiters in {@link
 * RedisTokenBucketBenchmark}, from the server's {@code INFO commandstats}: reset the statistics, make
 * a fixed number of decisions, read them back. Run with {@code java -cp
 * gatehouse-bench/target/benchmarks.jar dev.gatehouse.bench.RedisCommandsPerDecision [decisions]}
 * while nothing else uses the same Redis.
 */
public final class RedisCommandsPerDecision {

    /*
     * Design: commandstats counts the commands a script runs as well as those sent by clients, and
     * does not tell them apart. What went over the wire is recovered from what the scripts are known
     * to run: Gatehouse sends nothing but EVALSHA (EVAL after NOSCRIPT), so every other command
     * counted for it ran inside its scripts; Bucket4j's SET-NX script (a key's first write) calls SET once, and its compare-and-swap script
     * calls GET once and, when the swap succeeds, PSETEX. So Bucket4j's compare-and-swap calls are
     * EVAL − SET, and the GETs it sent are GET − (EVAL − SET). Redis's time per decision is that of
     * the commands sent (a script's time includes the commands it runs), the GETs' share pro rata.
     */

    private RedisCommandsPerDecision() {}

    public static void main(String[] args) {
        int decisions = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        System.out.println("| implementation | path | keys | in flight | allowed | sent per decision"
                + " | run inside scripts per decision | Redis µs per decision |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (String path : new String[] {"allow", "deny"}) {
            for (int keys : new int[] {1, 100_000}) {
                try (RedisTokenBuckets buckets = new RedisTokenBuckets(path.equals("deny"), keys)) {
                    buckets.deleteKeys();
                    buckets.takeOnePermitEach(256);
                    for (int inFlight : new int[] {1, 64}) {
                        count(buckets, "Gatehouse", buckets::gatehouse, true, path, inFlight, decisions);
                        count(buckets, "Gatehouse leasing", buckets::gatehouseLeasing, true, path, inFlight, decisions);
                        count(buckets, "Bucket4j", buckets::bucket4j, false, path, inFlight, decisions);
                        count(
                                buckets,
                                "Bucket4j batching",
                                buckets::bucket4jBatching,
                                false,
                                path,
                                inFlight,
                                decisions);
                    }
                    buckets.deleteKeys();
                }
            }
        }
    }

    private static void count(
            RedisTokenBuckets buckets,
            String name,
            IntFunction<CompletableFuture<?>> decide,
            boolean sendsOnlyScripts,
            String path,
            int inFlight,
            int decisions) {
        SplittableRandom random = new SplittableRandom(inFlight);
        @Nullable CompletableFuture<?>[] pending = new CompletableFuture<?>[inFlight];
        long allowed = 0;
        buckets.admin().configResetstat();
        for (int i = 0; i < decisions + inFlight; i++) {
            int slot = i % inFlight;
            CompletableFuture<?> oldest = pending[slot];
            if (oldest != null) {
                allowed += isAllowed(oldest.join()) ? 1 : 0;
                pending[slot] = null;
            }
            if (i < decisions) {
                pending[slot] = decide.apply(buckets.keys() == 1 ? 0 : random.nextInt(buckets.keys()));
            }
        }
        String info = buckets.admin().info("commandstats");
        Map<String, Long> calls = commandCalls(info);
        Map<String, Long> micros = commandStat(info, "usec");
        long eval = calls.getOrDefault("eval", 0L);
        long set = calls.getOrDefault("set", 0L);
        long get = calls.getOrDefault("get", 0L);
        long compareAndSwaps = sendsOnlyScripts ? get : eval - set; // GETs run inside scripts

        Map<String, Long> sent = new TreeMap<>();
        Map<String, Long> inside = new TreeMap<>();
        calls.forEach((command, count) -> {
            switch (command) {
                case "info", "config|resetstat" -> {}
                case "evalsha", "eval" -> sent.put(command, count);
                case "get" -> {
                    sent.put("get", get - compareAndSwaps);
                    inside.put("get", compareAndSwaps);
                }
                default -> inside.put(command, count);
            }
        });
        System.out.printf(
                Locale.ROOT,
                "| %s | %s | %,d | %d | %.1f%% | %s | %s | %.1f |%n",
                name,
                path,
                buckets.keys(),
                inFlight,
                100.0 * allowed / decisions,
                perDecision(sent, decisions),
                perDecision(inside, decisions),
                (double) (micros.getOrDefault("evalsha", 0L)
                                + micros.getOrDefault("eval", 0L)
                                + micros.getOrDefault("get", 0L) * (get - compareAndSwaps) / Math.max(1, get))
                        / decisions);
    }

    private static boolean isAllowed(Object outcome) {
        return outcome instanceof Decision decision ? decision.allowed() : Boolean.TRUE.equals(outcome);
    }

    /** Calls per command from {@code INFO commandstats} lines such as {@code cmdstat_get:calls=12,usec=...}. */
    private static Map<String, Long> commandCalls(String info) {
        return commandStat(info, "calls");
    }

    /** One field per command from {@code INFO commandstats}, whose lines read {@code cmdstat_get:calls=12,usec=30,...}. */
    private static Map<String, Long> commandStat(String info, String field) {
        Map<String, Long> values = new TreeMap<>();
        for (String line : info.lines().toList()) {
            if (line.startsWith("cmdstat_")) {
                String command = line.substring("cmdstat_".length(), line.indexOf(':'));
                int start = line.indexOf(field + "=") + field.length() + 1;
                int end = line.indexOf(',', start);
                values.put(command, Long.parseLong(line.substring(start, end)));
            }
        }
        return values;
    }

    private static String perDecision(Map<String, Long> counts, int decisions) {
        StringBuilder text = new StringBuilder();
        long total = 0;
        for (Map.Entry<String, Long> entry : counts.entrySet()) {
            if (entry.getValue() == 0) {
                continue;
            }
            total += entry.getValue();
            text.append(text.isEmpty() ? "" : ", ")
                    .append(entry.getKey().toUpperCase(Locale.ROOT))
                    .append(' ')
                    .append(String.format(Locale.ROOT, "%.2f", (double) entry.getValue() / decisions));
        }
        return text.isEmpty() ? "none" : String.format(Locale.ROOT, "**%.2f**: %s", (double) total / decisions, text);
    }
}
