-- wrk script for the load benchmark: every request is GET /rate/k<n>, with n drawn uniformly
-- from [0, keys). The requests are formatted once in init(), so the per-request cost in wrk is a
-- table lookup and is the same for every target and key count.
--
--   wrk -t1 -c64 -d10s --latency -s keys.lua http://127.0.0.1:PORT -- 10000 [seed]
--
-- Argument 1: number of keys (default 1, which always asks for /rate/k0).
-- Argument 2: random seed (default 1), so that runs draw the same sequence.

local requests = {}
local count = 1

function init(args)
  count = tonumber(args[1] or "1") or 1
  if count < 1 then
    count = 1
  end
  math.randomseed(tonumber(args[2] or "1") or 1)
  for i = 0, count - 1 do
    requests[i + 1] = wrk.format("GET", "/rate/k" .. i)
  end
end

function request()
  if count == 1 then
    return requests[1]
  end
  return requests[math.random(count)]
end
