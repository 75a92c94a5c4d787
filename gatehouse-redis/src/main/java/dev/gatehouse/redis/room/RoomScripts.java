package dev.gatehouse.redis.room;

import dev.gatehouse.redis.internal.LimiterLua;
import dev.gatehouse.redis.internal.LuaScript;
import dev.gatehouse.waitingroom.RoomConfig;
import dev.gatehouse.waitingroom.RoomConfig.Field;

/**
 * The Lua scripts behind {@link RedisQueueState}. Every script gets the room's nine keys in one
 * order: KEYS[1] config (hash), 2 state (hash), 3 queue (sorted set), 4 seen (sorted set), 5 ready
 * (sorted set), 6 enqueued (hash: a queued or registered user's enqueue time, for the wait it is
 * admitted after), 7 registered (sorted set: the pre-queue before its close, by arrival), 8 late
 * (sorted set: registered after the close, by arrival), 9 draw (hash: the draw files); the scripts
 * that limit a visitor's calls take a tenth (LIMIT: only it), the per-address window the call
 * counts in.
 */
final class RoomScripts {

    /*
     * Design: numbers are Lua doubles, exact below 2^53. Times are the caller's Unix milliseconds
     * (at most 2^52, checked in Java) plus at most a day of config; sequence numbers count enqueues
     * from 1. Every number a script hands back to Redis is written with string.format('%d') or passed
     * on as the ARGV string it came in, never left to Lua's own number formatting (which keeps 14
     * significant digits). User ids are members of the sorted sets and nothing else: no script
     * parses, concatenates or compares them, and the hashes hold room fields only, so an id such as
     * "budget" or "}" is just a member. Lua's unpack takes a few thousand values at most, so bulk
     * writes go in chunks of 1000 members.
     *
     * A missing config field reads as RoomConfig.DEFAULTS' value, here and in RedisQueueState.config:
     * the defaults are written into the script source when the class loads.
     */

    /**
     * Where a user stands, from the ready set, then the queue: a Lua function of the user, the time
     * (Unix milliseconds, as text) and the mode.
     */
    private static final String STANDING_FUNCTION = """
            local function standing(user, at, mode)
              local now = tonumber(at)
              local ready_until = redis.call('ZSCORE', KEYS[5], user)
              if ready_until then
                ready_until = tonumber(ready_until)
                if ready_until > now then
                  return {0, 2, 0, ready_until}
                end
                redis.call('ZREM', KEYS[5], user)
                redis.call('HINCRBY', KEYS[2], 'expired_total', 1)
              else
                local rank = redis.call('ZRANK', KEYS[3], user)
                if rank then
                  if mode ~= 'c' then
                    redis.call('ZADD', KEYS[4], 'XX', 'GT', at, user)
                  end
                  return {0, 1, rank + 1, 0}
                end
              end
              local prequeue = redis.call('HGET', KEYS[2], 'prequeue')
              local registering = prequeue == 'open' or prequeue == 'closed'
              if registering and (redis.call('ZSCORE', KEYS[7], user) or redis.call('ZSCORE', KEYS[8], user)) then
                return {0, 3, 0, 0}
              end
              if mode ~= 'e' then
                return {0, 0, 0, 0}
              end
              if registering then
                local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
                redis.call('ZADD', prequeue == 'open' and KEYS[7] or KEYS[8], string.format('%d', seq), user)
                redis.call('HSET', KEYS[6], user, at)
                return {1, 3, 0, 0}
              end
              local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
              redis.call('ZADD', KEYS[3], string.format('%d', seq), user)
              redis.call('ZADD', KEYS[4], at, user)
              redis.call('HSET', KEYS[6], user, at)
              return {1, 1, redis.call('ZCARD', KEYS[3]), 0}
            end
            """;

    /**
     * Enqueue ('e'), status ('s': counts as seeing a queued user) and the backend's check ('c'). A
     * ready user whose time is up is forgotten (and counted as expired) on the way; while a pre-queue
     * runs, enqueue registers. Replies {added, state (0 unknown, 1 queued, 2 ready, 3 registered),
     * position, ready until}.
     */
    static final LuaScript STANDING = new LuaScript(STANDING_FUNCTION + "return standing(ARGV[1], ARGV[2], ARGV[3])\n");

    /**
     * A batch of limited calls, each as if it ran alone, in order: a per-address limit (LimiterLua's
     * fixed window, judged by the Redis server's clock as the limiters are), then, when it allows,
     * STANDING on the room's keys. KEYS[10] on: the per-address window of each call (a key may come
     * more than once); ARGV: six per call, 1 user, 2 now, 3 mode ('e' or 's'), 4 the limit, 5 its
     * window in microseconds, 6 the window's key's idle time in milliseconds. Replies eight numbers
     * per call: the decision {allowed, remaining, retry, reset}, then STANDING's reply when allowed
     * (zeros when refused).
     */
    static final LuaScript LIMITED_STANDING = new LuaScript(LimiterLua.FIXED_WINDOW_FUNCTION + STANDING_FUNCTION + """
            local time = redis.call('TIME')
            local micros = time[1] * 1000000 + time[2]
            local replies, n = {}, 0
            for i = 10, #KEYS do
              local a = (i - 10) * 6
              local gate = fixed_window(KEYS[i], micros, 0, 'd', tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), 1,
                tonumber(ARGV[a + 6]))
              local reply = gate[1] == 0 and {0, 0, 0, 0} or standing(ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
              replies[n + 1], replies[n + 2], replies[n + 3], replies[n + 4] = gate[1], gate[2], gate[3], gate[4]
              replies[n + 5], replies[n + 6], replies[n + 7], replies[n + 8] = reply[1], reply[2], reply[3], reply[4]
              n = n + 8
            end
            return replies
            """);

    /**
     * The per-address limit of LIMITED_STANDING alone, on KEYS[1]; ARGV: 1 the limit, 2 its window in
     * microseconds, 3 the key's idle time in milliseconds. Replies the decision.
     */
    static final LuaScript LIMIT = new LuaScript(LimiterLua.FIXED_WINDOW_FUNCTION + """
            local time = redis.call('TIME')
            return fixed_window(KEYS[1], time[1] * 1000000 + time[2], 0, 'd', tonumber(ARGV[1]), tonumber(ARGV[2]), 1,
              tonumber(ARGV[3]))
            """);

    /** Ends a ready user's time; ARGV: 1 user, 2 now. Replies 1 when it was ready, 0 otherwise. */
    static final LuaScript FINISH = new LuaScript("""
            local ready_until = redis.call('ZSCORE', KEYS[5], ARGV[1])
            if not ready_until then
              return 0
            end
            redis.call('ZREM', KEYS[5], ARGV[1])
            if tonumber(ready_until) <= tonumber(ARGV[2]) then
              redis.call('HINCRBY', KEYS[2], 'expired_total', 1)
              return 0
            end
            redis.call('HINCRBY', KEYS[2], 'finished_total', 1)
            return 1
            """);

    /**
     * Stores a config and reschedules the next tick (last tick + the new frequency, or now when that
     * has passed) if there was a tick; with fields to check, only if each stored one (its default when
     * missing) still has the expected value. ARGV: 1 now, 2 the new frequency in milliseconds, 3 the
     * number n of fields checked, then n triples (field, expected value, default), then the field and
     * value pairs to store. Replies 1 when it stored, 0 when a checked field had changed.
     */
    static final LuaScript CONFIGURE = new LuaScript("""
            local checked = tonumber(ARGV[3])
            for i = 4, 3 + 3 * checked, 3 do
              local stored = redis.call('HGET', KEYS[1], ARGV[i])
              if tonumber(stored or ARGV[i + 2]) ~= tonumber(ARGV[i + 1]) then
                return 0
              end
            end
            redis.call('HSET', KEYS[1], unpack(ARGV, 4 + 3 * checked))
            local last = tonumber(redis.call('HGET', KEYS[2], 'last_tick')) or 0
            if last ~= 0 then
              local following = last + tonumber(ARGV[2])
              local now = tonumber(ARGV[1])
              if following < now then
                following = now
              end
              redis.call('HSET', KEYS[2], 'next_tick', string.format('%d', following))
            end
            return 1
            """);

    /** Stores a config when the room has none; ARGV: field and value pairs. Replies 1 when it did. */
    static final LuaScript CONFIGURE_IF_ABSENT = new LuaScript("""
            if redis.call('EXISTS', KEYS[1]) == 1 then
              return 0
            end
            redis.call('HSET', KEYS[1], unpack(ARGV))
            return 1
            """);

    /**
     * Counts: {queued, ready, registered, admitted, expired, abandoned, finished, ticks, last tick, next
     * tick}. Reads only.
     */
    static final LuaScript STATS = new LuaScript("""
            local totals = redis.call('HMGET', KEYS[2], 'admitted_total', 'expired_total', 'abandoned_total',
              'finished_total', 'ticks', 'last_tick', 'next_tick')
            local reply = {redis.call('ZCARD', KEYS[3]), redis.call('ZCARD', KEYS[5]),
              redis.call('ZCARD', KEYS[7]) + redis.call('ZCARD', KEYS[8])}
            for i = 1, 7 do
              reply[i + 3] = tonumber(totals[i]) or 0
            end
            return reply
            """);

    /** Starts a pre-queue unless the room has had one. Replies 1 when it did. */
    static final LuaScript START_PREQUEUE = new LuaScript("""
            return redis.call('HSETNX', KEYS[2], 'prequeue', 'open')
            """);

    /** Closes a running pre-queue for its draw. Replies 1 when one is closed now, 0 when none runs. */
    static final LuaScript CLOSE_PREQUEUE = new LuaScript("""
            local prequeue = redis.call('HGET', KEYS[2], 'prequeue')
            if prequeue ~= 'open' and prequeue ~= 'closed' then
              return 0
            end
            redis.call('HSET', KEYS[2], 'prequeue', 'closed')
            return 1
            """);

    /**
     * Queues drawn users, each registered and not placed yet, at the tail; with ARGV[2] '1' then up to
     * ARGV[3] late ones in arrival order, and once none is left ends the pre-queue (dropping the
     * enqueue times of any registered user the draw left out). ARGV: 1 now, 2 last, 3 most late, then
     * the users. Replies 1 when the pre-queue has ended, 0 when more calls are needed, -1 when none is
     * closed.
     */
    static final LuaScript PLACE_DRAWN = new LuaScript("""
            local prequeue = redis.call('HGET', KEYS[2], 'prequeue')
            if prequeue == 'ended' then
              return 1
            end
            if prequeue ~= 'closed' then
              return -1
            end
            local function place(user)
              local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
              redis.call('ZADD', KEYS[3], string.format('%d', seq), user)
              redis.call('ZADD', KEYS[4], ARGV[1], user)
            end
            for i = 4, #ARGV do
              if redis.call('ZREM', KEYS[7], ARGV[i]) == 1 then
                place(ARGV[i])
              end
            end
            if ARGV[2] ~= '1' then
              return 0
            end
            local arrivals = redis.call('ZPOPMIN', KEYS[8], tonumber(ARGV[3]))
            for i = 1, #arrivals, 2 do
              place(arrivals[i])
            end
            if redis.call('EXISTS', KEYS[8]) == 1 then
              return 0
            end
            while true do
              local rest = redis.call('ZRANGE', KEYS[7], 0, 999)
              if #rest == 0 then
                break
              end
              redis.call('HDEL', KEYS[6], unpack(rest))
              redis.call('ZREM', KEYS[7], unpack(rest))
            end
            redis.call('HSET', KEYS[2], 'prequeue', 'ended')
            return 1
            """);

    /** Keeps the commit and ticket list unless a commit is kept; ARGV: commit, tickets. Replies the kept three. */
    static final LuaScript KEEP_COMMIT = new LuaScript("""
            if redis.call('HSETNX', KEYS[9], 'commit', ARGV[1]) == 1 then
              redis.call('HSET', KEYS[9], 'tickets', ARGV[2])
            end
            return redis.call('HMGET', KEYS[9], 'commit', 'tickets', 'record')
            """);

    /**
     * Keeps the draw record unless one is kept; ARGV: record. Replies the kept three, or nothing when
     * no commit is kept.
     */
    static final LuaScript KEEP_RECORD = new LuaScript("""
            if redis.call('HEXISTS', KEYS[9], 'commit') == 0 then
              return {}
            end
            redis.call('HSETNX', KEYS[9], 'record', ARGV[1])
            return redis.call('HMGET', KEYS[9], 'commit', 'tickets', 'record')
            """);

    /** The room's config fields advance needs, with the defaults of a room that has stored none. */
    private static final String CONFIG_FIELDS = """
            local config = redis.call('HMGET', KEYS[1], '%s', '%s', '%s', '%s', '%s')
            local limit = tonumber(config[1]) or %d
            local frequency = (tonumber(config[2]) or %d) * 1000
            local ttl = (tonumber(config[3]) or %d) * 1000
            local max_active = tonumber(config[4]) or %d
            local abandon = (tonumber(config[5]) or %d) * 1000
            """.formatted(
                    Field.ADMISSION_LIMIT.wireName(),
                    Field.ADMISSION_FREQUENCY.wireName(),
                    Field.READY_TTL_SECONDS.wireName(),
                    Field.MAX_ACTIVE_USERS.wireName(),
                    Field.ABANDON_AFTER_SECONDS.wireName(),
                    RoomConfig.DEFAULTS.admissionLimit(),
                    RoomConfig.DEFAULTS.admissionFrequencySeconds(),
                    RoomConfig.DEFAULTS.readyTtlSeconds(),
                    RoomConfig.DEFAULTS.maxActiveUsers(),
                    RoomConfig.DEFAULTS.abandonAfterSeconds());

    /**
     * admit_head(count, now): makes up to {@code count} queued users ready (from the head) until now
     * plus the ready time, counts them admitted, and returns them in queue order with when each was
     * queued. Needs CONFIG_FIELDS' {@code ttl}.
     */
    private static final String ADMIT_HEAD = """
            local function admit_head(count, now)
              local admitted, enqueued = {}, {}
              if count <= 0 then
                return admitted, enqueued
              end
              local head = redis.call('ZPOPMIN', KEYS[3], count)
              for i = 1, #head, 2 do
                admitted[#admitted + 1] = head[i]
              end
              local popped = #admitted
              local ready_until = string.format('%d', now + ttl)
              for first = 1, popped, 1000 do
                local last = math.min(first + 999, popped)
                local scored = {}
                for i = first, last do
                  scored[#scored + 1] = ready_until
                  scored[#scored + 1] = admitted[i]
                end
                redis.call('ZADD', KEYS[5], unpack(scored))
                redis.call('ZREM', KEYS[4], unpack(admitted, first, last))
                local times = redis.call('HMGET', KEYS[6], unpack(admitted, first, last))
                for i = first, last do
                  enqueued[i] = times[i - first + 1] or string.format('%d', now)
                end
                redis.call('HDEL', KEYS[6], unpack(admitted, first, last))
              end
              if popped > 0 then
                redis.call('HINCRBY', KEYS[2], 'admitted_total', popped)
              end
              return admitted, enqueued
            end
            """;

    /**
     * Keeps a ready user ready until now plus the ready time (never sooner than before); ARGV: 1 user,
     * 2 now. Replies the user's ready time's end, or 0 when it is not ready (one whose time is up is
     * forgotten and counted as expired, as STANDING does).
     */
    static final LuaScript TOUCH = new LuaScript(CONFIG_FIELDS + """
            local now = tonumber(ARGV[2])
            local ready_until = redis.call('ZSCORE', KEYS[5], ARGV[1])
            if not ready_until then
              return 0
            end
            if tonumber(ready_until) <= now then
              redis.call('ZREM', KEYS[5], ARGV[1])
              redis.call('HINCRBY', KEYS[2], 'expired_total', 1)
              return 0
            end
            local until_now = math.max(tonumber(ready_until), now + ttl)
            redis.call('ZADD', KEYS[5], 'XX', string.format('%d', until_now), ARGV[1])
            return until_now
            """);

    /**
     * An operator's admission: up to ARGV[2] queued users made ready now (ARGV[1]), from the head,
     * whatever the budget and the seats. Replies {{admitted users in queue order}, {when each was
     * queued}}.
     */
    static final LuaScript ADMIT = new LuaScript(CONFIG_FIELDS + ADMIT_HEAD + """
            local admitted, enqueued = admit_head(tonumber(ARGV[2]), tonumber(ARGV[1]))
            return {admitted, enqueued}
            """);

    /**
     * Expiry, abandonment, the tick when due and admission, as MemoryQueueState's advance does them.
     * ARGV: 1 now, 2 the most users one call admits, expires or abandons (each). When more ready
     * users expire or more queued ones are abandoned than that, the call does only those, neither
     * ticks nor admits, and asks to be called again at once: a sweep never holds Redis longer than
     * an admission batch, and nobody is admitted who was due to be dropped. Replies {expired,
     * abandoned, ticked, next wake, {admitted users in queue order}, {when each was queued}}.
     */
    static final LuaScript ADVANCE = new LuaScript(CONFIG_FIELDS + ADMIT_HEAD + """
            local now, most = tonumber(ARGV[1]), tonumber(ARGV[2])
            local state = redis.call('HMGET', KEYS[2], 'next_tick', 'budget')
            local next_tick = tonumber(state[1]) or 0
            local budget = tonumber(state[2]) or 0
            local unfinished = false

            local expired = redis.call('ZCOUNT', KEYS[5], '-inf', ARGV[1])
            if expired > most then
              redis.call('ZREMRANGEBYRANK', KEYS[5], 0, most - 1)
              expired, unfinished = most, true
            elseif expired > 0 then
              redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[1])
            end
            if expired > 0 then
              redis.call('HINCRBY', KEYS[2], 'expired_total', expired)
            end

            local abandoned = 0
            if abandon > 0 then
              local cutoff = string.format('%d', now - abandon)
              local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', cutoff, 'LIMIT', 0, most)
              abandoned = #gone
              for first = 1, abandoned, 1000 do
                local last = math.min(first + 999, abandoned)
                redis.call('ZREM', KEYS[3], unpack(gone, first, last))
                redis.call('ZREM', KEYS[4], unpack(gone, first, last))
                redis.call('HDEL', KEYS[6], unpack(gone, first, last))
              end
              if abandoned > 0 then
                redis.call('HINCRBY', KEYS[2], 'abandoned_total', abandoned)
                if abandoned == most and redis.call('ZCOUNT', KEYS[4], '-inf', cutoff) > 0 then
                  unfinished = true
                end
              end
            end
            if unfinished then
              return {expired, abandoned, 0, now, {}, {}}
            end

            local ticked = 0
            local budget_before = budget
            if now >= next_tick then
              ticked = 1
              budget = limit
              local following = (next_tick == 0 and now or next_tick) + frequency
              if following <= now then
                following = now + frequency
              end
              next_tick = following
              redis.call('HSET', KEYS[2], 'next_tick', string.format('%d', next_tick), 'last_tick', ARGV[1])
              redis.call('HINCRBY', KEYS[2], 'ticks', 1)
            end

            local ready = redis.call('ZCARD', KEYS[5])
            local queued = redis.call('ZCARD', KEYS[3])
            local count = math.min(budget, queued, most)
            if max_active > 0 then
              count = math.min(count, max_active - ready)
            end
            local admitted, enqueued = admit_head(count, now)
            if #admitted > 0 then
              count = #admitted
              budget, ready, queued = budget - count, ready + count, queued - count
            end
            if max_active == 0 and queued == 0 then
              budget = 0 -- without a capacity bound, admission happens at ticks: who comes later waits for one
            end
            if budget ~= budget_before then
              redis.call('HSET', KEYS[2], 'budget', string.format('%d', budget))
            end

            local waiting = budget > 0 and queued > 0
            local seats_full = max_active > 0 and ready >= max_active
            if waiting and count == most and not seats_full then
              return {expired, abandoned, ticked, now, admitted, enqueued}
            end
            local wake = next_tick
            if waiting and seats_full then
              local first = redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')
              if first[2] then
                wake = math.min(wake, tonumber(first[2]))
              end
            end
            if abandon > 0 then
              local oldest = redis.call('ZRANGE', KEYS[4], 0, 0, 'WITHSCORES')
              if oldest[2] then
                wake = math.min(wake, tonumber(oldest[2]) + abandon)
              end
            end
            if wake < now then
              wake = now
            end
            return {expired, abandoned, ticked, wake, admitted, enqueued}
            """);

    private RoomScripts() {}
}
