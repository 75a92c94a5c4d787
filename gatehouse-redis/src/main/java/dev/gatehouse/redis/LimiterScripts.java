package dev.gatehouse.redis;

import dev.gatehouse.redis.internal.LimiterLua;
import dev.gatehouse.redis.internal.LuaScript;

/**
 * The Lua scripts behind {@link RedisKeyedRateLimiter}, one per algorithm. Each one decides,
 * releases or reads a snapshot (ARGV[2] = 'd', 'r' or 's') in one atomic call.
 */
final class LimiterScripts {

    /*
     * Design: time is the server's TIME in microseconds (ARGV[1] is empty; tests pin it there
     * instead), so client clocks cannot change a decision. Redis expires keys on its own clock,
     * which a pinned time does not move: with a pinned time every key is kept an hour (keep, in
     * milliseconds) longer than its state needs, beyond any test's real duration. No key then
     * expires in the middle of a pinned run however slowly it runs, just as the in-memory limiters
     * such a run is compared with keep their state: like is compared with like. Lua numbers are doubles: every value a
     * script computes is an integer below 2^52, which RedisKeyedRateLimiter checks of each spec
     * before it calls. For such numerators and divisors the correctly rounded double quotient never
     * crosses an integer, so math.floor and math.ceil of it are the exact integer floor and ceiling.
     * Values are written with string.format('%d'), so they read back exactly.
     *
     * The scripts are written for Redis's time per call, which bounds throughput when many nodes
     * share one Redis: the state of a key is one string written with one SET ... PX (value and
     * expiry at once). The fixed window is a Lua function (one closure made per call, nothing
     * beside the GET and SET) because the room's scripts run it too, in front of their queue. A decision returns {allowed,
     * remaining, retry, reset} and a snapshot {found, remaining, denied, reset}, times in
     * microseconds and -1 for "never".
     *
     * A key's state is back to a fresh one's when a token bucket has refilled, when a window
     * (fixed: the window of its last request; sliding: both windows) has passed, and when a
     * concurrency limiter's last lease has ended (it keeps that lease's name until then, even with
     * nothing in flight). A bucket or a concurrency limiter in that state decides exactly as a
     * missing key, so its key expires then. A window does not: a key that is kept keeps its windows'
     * start, a missing one starts them at its next request. So a window's key is kept for the spec's
     * idle time past that point (LimitSpec.idleNanos(), passed in milliseconds: three windows, as
     * gocc and the in-memory registry keep a key), and every store forgets a key at the same time.
     */

    private static final String NOW = """
            local now
            local keep = 0
            if ARGV[1] == '' then
              local time = redis.call('TIME')
              now = time[1] * 1000000 + time[2]
            else
              now = tonumber(ARGV[1])
              keep = 3600000
            end
            local mode = ARGV[2]
            """;

    /**
     * GCRA as "time:backlog": backlog is the empty part of the bucket in units where a microsecond is
     * 1000·p and a permit is P, for a rate of p permits per P ns in lowest terms. ARGV: 3 capacity,
     * 4 p, 5 P, 6 permits, 7 microseconds to refill from empty (so that elapsed·1000·p stays small).
     */
    static final LuaScript TOKEN_BUCKET = new LuaScript(NOW + """
            local capacity, period = tonumber(ARGV[3]), tonumber(ARGV[5])
            local per_micro = 1000 * tonumber(ARGV[4])
            local permits = tonumber(ARGV[6])
            local tolerance = capacity * period
            local backlog = 0
            local state = redis.call('GET', KEYS[1])
            if state then
              local at, stored = string.match(state, '(%d+):(%d+)')
              at = tonumber(at)
              if now < at then now = at end -- a clock stepping back (a failover) refills nothing twice
              local elapsed = now - at
              if elapsed < tonumber(ARGV[7]) then
                backlog = tonumber(stored) - elapsed * per_micro
                if backlog < 0 then backlog = 0 elseif backlog > tolerance then backlog = tolerance end
              end
            elseif mode == 's' then
              return {0, capacity, 0, 0}
            end
            local room = tolerance - backlog
            if mode == 's' then
              return {1, math.floor(room / period), 0, math.ceil(backlog / per_micro)}
            end
            if mode == 'r' then
              backlog = backlog - math.min(permits, capacity) * period
              if backlog <= 0 then
                redis.call('DEL', KEYS[1])
                return {1}
              end
            elseif permits > capacity then
              return {0, math.floor(room / period), -1, math.ceil(backlog / per_micro)}
            elseif permits * period > room then
              local retry = math.ceil((permits * period - room) / per_micro)
              return {0, math.floor(room / period), retry, math.ceil(backlog / per_micro)}
            else
              backlog = backlog + permits * period
            end
            local refill = math.ceil(backlog / per_micro)
            redis.call('SET', KEYS[1], string.format('%d:%d', now, backlog), 'PX', math.ceil(refill / 1000) + 1 + keep)
            if mode == 'r' then
              return {1}
            end
            return {1, math.floor((tolerance - backlog) / period), 0, refill}
            """);

    /**
     * {@link LimiterLua#FIXED_WINDOW_FUNCTION} on KEYS[1]. ARGV: 3 max per window, 4 window in
     * microseconds, 5 permits, 6 idle time in milliseconds.
     */
    static final LuaScript FIXED_WINDOW = new LuaScript(NOW + LimiterLua.FIXED_WINDOW_FUNCTION + """
            return fixed_window(KEYS[1], now, keep, mode, tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
              tonumber(ARGV[6]))
            """);

    /**
     * The previous window weighted by its overlap, rounded up, plus the current one. State
     * "start:current:previous:denied". ARGV: 3 max per window, 4 window in microseconds, 5 permits,
     * 6 idle time in milliseconds.
     */
    static final LuaScript SLIDING_WINDOW = new LuaScript(NOW + """
            local max, window, permits = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            local idle = tonumber(ARGV[6])
            local start, current, previous, denied = now, 0, 0, 0
            local state = redis.call('GET', KEYS[1])
            if state then
              local a, b, c, d = string.match(state, '(%d+):(%d+):(%d+):(%d+)')
              start, current, previous, denied = tonumber(a), tonumber(b), tonumber(c), tonumber(d)
              if now >= start + window then
                local windows = math.floor((now - start) / window)
                previous = windows == 1 and current or 0
                current, denied = 0, 0
                start = start + windows * window
              end
            elseif mode ~= 'd' then
              return {0, max, 0, 0}
            end
            local offset = now - start
            if offset < 0 then offset = 0 end
            local room = max - current - math.ceil(previous * (window - offset) / window)
            local until_empty = 0
            if current > 0 then
              until_empty = window - offset + window
            elseif previous > 0 then
              until_empty = window - offset
            end
            if mode == 's' then
              return {1, room > 0 and room or 0, denied, until_empty}
            end
            local reply
            if mode == 'r' then
              current = current - permits
              if current < 0 then current = 0 end
              reply = {1}
            elseif permits > room then
              denied = denied + 1
              local retry = -1
              if permits <= max then
                -- the first offset at which the share of the window that still counts leaves room
                local fits, count, base = max - permits - current, previous, -offset
                if fits < 0 then
                  fits, count, base = max - permits, current, window - offset
                end
                local needed = 0
                if count > fits then
                  needed = window - math.floor(fits * window / count)
                end
                retry = base + needed
                if retry < 0 then retry = 0 end
              end
              reply = {0, room > 0 and room or 0, retry, until_empty}
            else
              current = current + permits
              reply = {1, room - permits, 0, window - offset + window}
            end
            redis.call('SET', KEYS[1], string.format('%d:%d:%d:%d', start, current, previous, denied),
              'PX', math.ceil((window - offset + window) / 1000) + idle + 1 + keep)
            return reply
            """);

    /**
     * Permits in flight as leases that expire, so a holder that dies frees them after the lease.
     * KEYS: 1 a hash {n = permits in flight, s = the last lease granted}, 2 a sorted set of leases
     * "lease:permits" scored by expiry. ARGV: 3 max in flight, 4 permits, 5 lease in microseconds,
     * 6 the lease a release gives back (0: by count, the leases closest to expiry first).
     *
     * A lease is named by its expiry (microseconds on the script's clock), counted up past the last
     * lease granted when several would end in the same microsecond. So a lease that has expired
     * (score <= now) can never share its name with a lease granted since (score > now), and a
     * release that names it late finds nothing; the hash keeps the last lease until the key expires,
     * so a name is not handed out twice. A decision replies {allowed, remaining, retry, reset, lease}.
     */
    static final LuaScript CONCURRENCY = new LuaScript(NOW + """
            local max, permits, duration = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            local named = tonumber(ARGV[6])
            local in_flight = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
            local changed = false
            local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 256)
            for _, member in ipairs(expired) do
              in_flight = in_flight - tonumber(string.match(member, ':(%d+)$'))
              redis.call('ZREM', KEYS[2], member)
              changed = true
            end
            if in_flight < 0 then in_flight = 0 end
            local left = max - in_flight
            if left < 0 then left = 0 end -- the limit was lowered while permits were held
            local reply
            if mode == 's' then
              reply = in_flight == 0 and {0, max, 0, 0} or {1, left, 0, -1}
            elseif mode == 'r' and named > 0 then
              for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[6], ARGV[6])) do
                local lease, held = string.match(member, '^(%d+):(%d+)$')
                if tonumber(lease) == named then
                  held = tonumber(held)
                  redis.call('ZREM', KEYS[2], member)
                  if held > permits then
                    redis.call('ZADD', KEYS[2], ARGV[6], lease .. ':' .. string.format('%d', held - permits))
                    held = permits
                  end
                  in_flight = in_flight - held
                  changed = true
                  break
                end
              end
              reply = {1}
            elseif mode == 'r' then
              local left = permits
              while left > 0 and in_flight > 0 do
                local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
                if #head == 0 then
                  break
                end
                local lease, held = string.match(head[1], '^(%d+):(%d+)$')
                held = tonumber(held)
                redis.call('ZREM', KEYS[2], head[1])
                if held > left then
                  redis.call('ZADD', KEYS[2], head[2], lease .. ':' .. string.format('%d', held - left))
                  held = left
                end
                left = left - held
                in_flight = in_flight - held
              end
              changed = true
              reply = {1}
            elseif permits > left then
              reply = {0, left, -1, -1, 0}
            else
              local lease = now + duration
              local last = tonumber(redis.call('HGET', KEYS[1], 's') or '0')
              if lease <= last then lease = last + 1 end
              local name = string.format('%d', lease)
              redis.call('ZADD', KEYS[2], name, name .. ':' .. string.format('%d', permits))
              in_flight = in_flight + permits
              local millis = math.ceil((lease - now) / 1000) + 1 + keep
              redis.call('HSET', KEYS[1], 'n', string.format('%d', in_flight), 's', name)
              redis.call('PEXPIRE', KEYS[1], millis)
              redis.call('PEXPIRE', KEYS[2], millis)
              return {1, max - in_flight, 0, -1, lease}
            end
            if changed then
              redis.call('HSET', KEYS[1], 'n', string.format('%d', in_flight))
            end
            return reply
            """);

    private LimiterScripts() {}
}
