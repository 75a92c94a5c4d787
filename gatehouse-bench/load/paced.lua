-- wrk script of run.sh's paced latency rows (gateway part): after each answer a connection waits a
-- think time drawn evenly from 0 to twice THINK_MS milliseconds before it asks again, so a given
-- number of connections offers the same load to every target, below each one's capacity, and the
-- draws keep the connections from asking in step. wrk times a request from its sending, so the
-- think time is not in the latencies. Arguments after "--": THINK_MS.
--
-- At the end one line: "paced<TAB>requests<TAB>p50 ms<TAB>p99 ms<TAB>p99.9 ms<TAB>non-2xx/3xx<TAB>errors".
local think_ms

function init(args)
  think_ms = tonumber(args[1])
  assert(think_ms and think_ms >= 0, "usage: -- THINK_MS")
  math.randomseed(os.time())
end

function delay()
  return math.random(0, 2 * think_ms)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("paced\t%d\t%.3f\t%.3f\t%.3f\t%d\t%d\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
