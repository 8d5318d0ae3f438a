-- unique.lua -- POSTs a different pre-signed event on every request, so a store that
-- deduplicates has to commit each one.
--   wrk ... -s unique.lua URL -- EVENTS_FILE HEADER_NAME
-- EVENTS_FILE (bench/gen_unique.py): a body template whose %s stand for the event's number
-- as twelve digits, then one 64-hex-digit signature per line, event 0 first.
-- Ends with: RESULT rps=... p50_us=... p99_us=... requests=... non2xx=... errors=...

local template, sigs, header = nil, nil, nil
local n, i = 0, -1

function init(args)
  header = args[2]
  local f = assert(io.open(args[1], "r"))
  template = f:read("*l")
  sigs = f:read("*a") -- one string: nothing per event for the garbage collector to walk
  f:close()
  n = math.floor(#sigs / 65)
end

function request()
  i = i + 1
  if i >= n then i = 0 end -- wrapping around would send duplicates: size the file for the run
  local num = string.format("%012d", i)
  return wrk.format("POST", nil,
    { ["Content-Type"] = "application/json", [header] = sigs:sub(i * 65 + 1, i * 65 + 64) },
    string.format(template, num, num))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d max_us=%d requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    latency.max, summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
