-- wrk script for the waiting room (run.sh room). One wrk thread (-t1), so the counters below are
-- shared by all of its connections. Arguments after "--":
--
--   enqueue BUSINESS_ID PREFIX FIRST COUNT  POST /queue/enqueue for the users PREFIX<FIRST> ...
--                                           PREFIX<FIRST+COUNT-1> in order, then the same again
--                                           (each is then already queued) until wrk is stopped;
--                                           COUNT 0: new users without end
--   status BUSINESS_ID TOKENS_FILE          GET /queue/status, cycling over the queue tokens of
--                                           the file (one per line)
--   health                                  GET /health
local mode, business, requests, first_user, next_user, last_user, prefix
local tokens, next_token = {}, 1

function init(args)
  mode = args[1]
  business = args[2]
  if mode == "enqueue" then
    prefix = args[3]
    first_user = tonumber(args[4])
    next_user = first_user
    local count = tonumber(args[5])
    last_user = count > 0 and first_user + count - 1 or math.huge
  elseif mode == "status" then
    for line in io.lines(args[3]) do
      tokens[#tokens + 1] = wrk.format("GET", "/queue/status", { ["business_id"] = business, ["jwt"] = line })
    end
    assert(#tokens > 0, "no tokens in " .. args[3])
  elseif mode == "health" then
    requests = wrk.format("GET", "/health")
  else
    error("unknown mode: " .. tostring(mode))
  end
end

function request()
  if mode == "enqueue" then
    if next_user > last_user then
      next_user = first_user
    end
    local r = wrk.format("POST", "/queue/enqueue",
      { ["business_id"] = business, ["user_id"] = prefix .. next_user, ["Content-Length"] = "0" })
    next_user = next_user + 1
    return r
  elseif mode == "status" then
    local r = tokens[next_token]
    next_token = next_token % #tokens + 1
    return r
  end
  return requests
end
