-- unique.lua -- POSTs a different pre-signed event on every request, so a store that
-- deduplicates has to commit each one.
--   wrk ... -s unique.lua URL -- EVENTS_FILE HEADER_NAME
-- EVENTS_FILE: one "signature<TAB>body" line per event (bench/gen_unique.py).
-- Ends with: RESULT rps=... p50_us=... p99_us=... requests=... non2xx=... errors=...

local sigs, bodies, header = {}, {}, nil
local n, i = 0, 0

function init(args)
  header = args[2]
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    n = n + 1
    sigs[n] = line:sub(1, tab - 1)
    bodies[n] = line:sub(tab + 1)
  end
end

function request()
  i = i + 1
  if i > n then i = 1 end -- wrapping around would send duplicates: size the file for the run
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", [header] = sigs[i] },
    bodies[i])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50_us=%d p99_us=%d max_us=%d requests=%d non2xx=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    latency.max, summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
