package dev.gatehouse.redis.internal;

import dev.gatehouse.core.limit.Decision;
import java.util.List;

/**
 * What the limiter scripts share with scripts that limit on the way to something else (a room's
 * per-address limits in front of its queue): the fixed window as a Lua function, and how a
 * decision comes back from Lua.
 */
public final class LimiterLua {

    /** A limit decided in Lua never allows a retry: its retry time in microseconds. */
    private static final long NEVER_MICROS = -1;

    /**
     * Defines {@code fixed_window(key, now, keep, mode, max, window, permits, idle)}: windows start
     * at a key's first request, and a roll resets the counts; the key holds "start:count:denied".
     * {@code now} and {@code window} are microseconds, {@code idle} and {@code keep} (added to the
     * key's life) milliseconds; {@code mode} decides ('d'), releases ('r') or reads a snapshot
     * ('s'). Returns a decision {allowed, remaining, retry, reset} (see {@link #decision}), {1} for
     * a release, and a snapshot {found, remaining, denied, reset}.
     */
    public static final String FIXED_WINDOW_FUNCTION = """
            local function fixed_window(key, now, keep, mode, max, window, permits, idle)
              local start, count, denied = now, 0, 0
              local state = redis.call('GET', key)
              if state then
                local a, b, c = string.match(state, '(%d+):(%d+):(%d+)')
                start, count, denied = tonumber(a), tonumber(b), tonumber(c)
                if now >= start + window then
                  start = start + math.floor((now - start) / window) * window
                  count, denied = 0, 0
                end
              elseif mode ~= 'd' then
                return {0, max, 0, 0}
              end
              local until_roll = start + window - now
              if until_roll > window then until_roll = window end
              local left = max - count
              if left < 0 then left = 0 end -- the limit was lowered within this window
              if mode == 's' then
                return {1, left, denied, count == 0 and 0 or until_roll}
              end
              local reply
              if mode == 'r' then
                if count == 0 then
                  return {1}
                end
                count = count - permits
                if count < 0 then count = 0 end
                reply = {1}
              elseif permits > left then
                denied = denied + 1
                reply = {0, left, permits > max and -1 or until_roll, count == 0 and 0 or until_roll}
              else
                count = count + permits
                reply = {1, max - count, 0, until_roll}
              end
              redis.call('SET', key, string.format('%d:%d:%d', start, count, denied),
                'PX', math.ceil(until_roll / 1000) + idle + 1 + keep)
              return reply
            end
            """;

    private LimiterLua() {}

    /**
     * The decision a script replied from {@code reply[from]} on: {allowed (1 or 0), remaining,
     * retry, reset} with times in microseconds (-1: never), and, when {@code withLease}, the grant's
     * lease.
     */
    public static Decision decision(List<Long> reply, int from, boolean withLease) {
        boolean allowed = reply.get(from) == 1;
        return new Decision(
                allowed ? Decision.Outcome.ALLOWED : Decision.Outcome.DENIED,
                reply.get(from + 1),
                nanos(reply.get(from + 2)),
                nanos(reply.get(from + 3)),
                withLease ? reply.get(from + 4) : Decision.NO_LEASE);
    }

    /** Microseconds a script replied, in nanoseconds; -1 (never) as {@link Decision#NEVER}. */
    public static long nanos(long micros) {
        return micros == NEVER_MICROS ? Decision.NEVER : micros * 1000;
    }
}
