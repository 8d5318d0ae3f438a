-- unique.lua -- POSTs a different pre-signed event on every request, so a store that
-- deduplicates has to commit each one.
--   wrk ... -s unique.lua URL -- EVENTS_FILE HEADER_NAME
-- EVENTS_FILE (bench/gen_unique.py): a body template whose %s stand for the event's number
-- as twelve digits, then one 64-hex-digit signature per line, event 0 first.
-- Ends with: RESULT rps=... p50_us=... p99_us=... requests=... non2xx=... errors=...
--
-- The whole request is one format string (head and body), filled in with one
-- string.format per request: building it with wrk.format and a header table cost wrk a
-- full core at 58k requests/s against nginx, so the load generator, not the server under
-- test, set the ceiling.

local request_fmt, sigs = nil, nil
local n, i = 0, -1

function init(args)
  local header = args[2]
  local f = assert(io.open(args[1], "r"))
  local template = f:read("*l")
  sigs = f:read("*a") -- one string: nothing per event for the garbage collector to walk
  f:close()
  n = math.floor(#sigs / 65)
  -- every body has the template's length plus ten characters per %s (12 digits for 2)
  local _, holes = template:gsub("%%s", "")
  local body_len = #template + holes * 10
  local host = wrk.host .. ":" .. wrk.port
  request_fmt = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. host ..
    "\r\nContent-Type: application/json\r\n" .. header .. ": %s\r\nContent-Length: " ..
    body_len .. "\r\n\r\n" .. template
end

function request()
  i = i + 1
  if i >= n then i = 0 end -- wrapping around would send duplicates: size the file for the run
  local num = string.format("%012d", i)
  return string.format(request_fmt, sigs:sub(i * 65 + 1, i * 65 + 64), num, num)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d max_us=%d requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    latency.max, summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
