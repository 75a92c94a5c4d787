package dev.gatehouse.redis;

/**
 * The Lua scripts behind {@link RedisKeyedRateLimiter}, one per algorithm. Each one decides,
 * releases or reads a snapshot (ARGV[2] = 'd', 'r' or 's') in one atomic call.
 */
final class LimiterScripts {

    /*
     * Design: time is the server's TIME in microseconds (ARGV[1] is empty; tests pin it there
     * instead), so client clocks cannot change a decision. Lua numbers are doubles: every value a
     * script computes is an integer below 2^53, which RedisKeyedRateLimiter checks of each spec
     * before it calls, and the division helpers correct the rounding of a double quotient so that
     * floor and ceiling are exact. Values are stored with string.format('%d'), so they read back
     * exactly. A decision returns {allowed, remaining, retry, reset} and a snapshot {found,
     * remaining, denied, reset}, times in microseconds and -1 for "never".
     *
     * Keys expire once their state is indistinguishable from a fresh key's: a token bucket when it
     * has refilled, a fixed window three idle windows after its last request (the point where an
     * in-memory registry evicts too), a sliding window when both of its windows are empty, a
     * concurrency limiter a lease after its last permit was taken.
     */

    private static final String PRELUDE = """
            local mode = ARGV[2]
            local now
            if ARGV[1] ~= '' then
              now = tonumber(ARGV[1])
            else
              local time = redis.call('TIME')
              now = tonumber(time[1]) * 1000000 + tonumber(time[2])
            end
            local function fdiv(a, b)
              local q = math.floor(a / b)
              if q * b > a then q = q - 1 elseif (q + 1) * b <= a then q = q + 1 end
              return q
            end
            local function cdiv(a, b)
              local q = fdiv(a, b)
              if q * b < a then q = q + 1 end
              return q
            end
            local function int(x)
              return string.format('%d', x)
            end
            local function expire_in(key, micros)
              redis.call('PEXPIRE', key, cdiv(micros, 1000) + 1)
            end
            """;

    /**
     * GCRA as (time, backlog): backlog is the empty part of the bucket in units where a microsecond is
     * 1000·p and a permit is P, for a rate of p permits per P ns in lowest terms. ARGV: 3 capacity,
     * 4 p, 5 P, 6 permits, 7 microseconds to refill from empty (so that elapsed·1000·p stays small).
     */
    static final LuaScript TOKEN_BUCKET = new LuaScript(PRELUDE + """
            local capacity, p, period = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            local permits, refill = tonumber(ARGV[6]), tonumber(ARGV[7])
            local tolerance = capacity * period
            local per_micro = 1000 * p
            local state = redis.call('HMGET', KEYS[1], 't', 'b')
            if mode == 's' and not state[1] then
              return {0, capacity, 0, 0}
            end
            local backlog = 0
            if state[1] then
              local elapsed = math.max(0, now - tonumber(state[1]))
              if elapsed < refill then
                backlog = math.min(tolerance, math.max(0, tonumber(state[2]) - elapsed * per_micro))
              end
            end
            local function save()
              if backlog == 0 then
                redis.call('DEL', KEYS[1])
              else
                redis.call('HSET', KEYS[1], 't', int(now), 'b', int(backlog))
                expire_in(KEYS[1], cdiv(backlog, per_micro))
              end
            end
            local room = tolerance - backlog
            if mode == 'r' then
              backlog = math.max(0, backlog - math.min(permits, capacity) * period)
              save()
              return {1}
            end
            if mode == 's' then
              return {1, fdiv(room, period), 0, cdiv(backlog, per_micro)}
            end
            if permits > capacity then
              return {0, fdiv(room, period), -1, cdiv(backlog, per_micro)}
            end
            local need = permits * period
            if need > room then
              return {0, fdiv(room, period), cdiv(need - room, per_micro), cdiv(backlog, per_micro)}
            end
            backlog = backlog + need
            save()
            return {1, fdiv(room - need, period), 0, cdiv(backlog, per_micro)}
            """);

    /**
     * Windows start at a key's first request; a roll resets the counts. ARGV: 3 max per window, 4
     * window in microseconds, 5 permits.
     */
    static final LuaScript FIXED_WINDOW = new LuaScript(PRELUDE + """
            local max, window, permits = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            local state = redis.call('HMGET', KEYS[1], 'w', 'c', 'd')
            local start, count, denied = now, 0, 0
            if state[1] then
              start, count, denied = tonumber(state[1]), tonumber(state[2]), tonumber(state[3])
              if now >= start + window then
                start = start + fdiv(now - start, window) * window
                count, denied = 0, 0
              end
            elseif mode ~= 'd' then
              return {0, max, 0, 0}
            end
            local until_roll = math.min(window, start + window - now)
            local function save()
              redis.call('HSET', KEYS[1], 'w', int(start), 'c', int(count), 'd', int(denied))
              expire_in(KEYS[1], until_roll + 2 * window)
            end
            if mode == 's' then
              return {1, max - count, denied, count == 0 and 0 or until_roll}
            end
            if mode == 'r' then
              if count > 0 then
                count = math.max(0, count - permits)
                save()
              end
              return {1}
            end
            if permits > max - count then
              denied = denied + 1
              save()
              return {0, max - count, permits > max and -1 or until_roll, count == 0 and 0 or until_roll}
            end
            count = count + permits
            save()
            return {1, max - count, 0, until_roll}
            """);

    /**
     * The previous window weighted by its overlap, rounded up, plus the current one. ARGV: 3 max per
     * window, 4 window in microseconds, 5 permits.
     */
    static final LuaScript SLIDING_WINDOW = new LuaScript(PRELUDE + """
            local max, window, permits = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            local state = redis.call('HMGET', KEYS[1], 'w', 'c', 'p', 'd')
            local start, current, previous, denied = now, 0, 0, 0
            if state[1] then
              start, current = tonumber(state[1]), tonumber(state[2])
              previous, denied = tonumber(state[3]), tonumber(state[4])
              if now >= start + window then
                local windows = fdiv(now - start, window)
                previous = windows == 1 and current or 0
                current, denied = 0, 0
                start = start + windows * window
              end
            elseif mode ~= 'd' then
              return {0, max, 0, 0}
            end
            local offset = math.max(0, now - start)
            local room = max - current - cdiv(previous * (window - offset), window)
            local until_empty = 0
            if current > 0 then
              until_empty = window - offset + window
            elseif previous > 0 then
              until_empty = window - offset
            end
            local function save()
              redis.call('HSET', KEYS[1], 'w', int(start), 'c', int(current), 'p', int(previous), 'd', int(denied))
              expire_in(KEYS[1], window - offset + window)
            end
            local function needed_offset(count, fits)
              if count <= fits then
                return 0
              end
              return window - fdiv(fits * window, count)
            end
            if mode == 's' then
              return {1, math.max(0, room), denied, until_empty}
            end
            if mode == 'r' then
              current = math.max(0, current - permits)
              save()
              return {1}
            end
            if permits > room then
              denied = denied + 1
              save()
              local retry = -1
              if permits <= max then
                local besides_previous = max - permits - current
                if besides_previous >= 0 then
                  retry = math.max(0, needed_offset(previous, besides_previous) - offset)
                else
                  retry = window - offset + needed_offset(current, max - permits)
                end
              end
              return {0, math.max(0, room), retry, until_empty}
            end
            current = current + permits
            save()
            return {1, room - permits, 0, window - offset + window}
            """);

    /**
     * Permits in flight as leases that expire, so a holder that dies frees them after the lease.
     * KEYS: 1 a hash {n = permits in flight, s = lease sequence}, 2 a sorted set of leases
     * "sequence:permits" by expiry. ARGV: 3 max in flight, 4 permits, 5 lease in microseconds.
     */
    static final LuaScript CONCURRENCY = new LuaScript(PRELUDE + """
            local max, permits, lease = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
            local in_flight = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
            local function save()
              if in_flight == 0 then
                redis.call('DEL', KEYS[1], KEYS[2])
              else
                redis.call('HSET', KEYS[1], 'n', int(in_flight))
              end
            end
            local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 256)
            for _, member in ipairs(expired) do
              in_flight = in_flight - tonumber(string.match(member, ':(%d+)$'))
              redis.call('ZREM', KEYS[2], member)
            end
            if #expired > 0 then
              in_flight = math.max(0, in_flight)
              save()
            end
            if mode == 's' then
              if in_flight == 0 then
                return {0, max, 0, 0}
              end
              return {1, max - in_flight, 0, -1}
            end
            if mode == 'r' then
              local left = permits
              while left > 0 and in_flight > 0 do
                local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
                if #head == 0 then
                  break
                end
                local sequence, held = string.match(head[1], '^(%d+):(%d+)$')
                held = tonumber(held)
                redis.call('ZREM', KEYS[2], head[1])
                if held > left then
                  redis.call('ZADD', KEYS[2], head[2], sequence .. ':' .. int(held - left))
                  held = left
                end
                left = left - held
                in_flight = in_flight - held
              end
              save()
              return {1}
            end
            if permits > max - in_flight then
              return {0, max - in_flight, -1, -1}
            end
            local sequence = redis.call('HINCRBY', KEYS[1], 's', 1)
            redis.call('ZADD', KEYS[2], int(now + lease), int(sequence) .. ':' .. int(permits))
            in_flight = in_flight + permits
            save()
            expire_in(KEYS[1], lease)
            expire_in(KEYS[2], lease)
            return {1, max - in_flight, 0, -1}
            """);

    private LimiterScripts() {}
}
