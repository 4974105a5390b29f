-- Drives hcwatch with distinct signed binding notifications read from BODIES,
-- one per line, each thread starting at its own offset; counts 303 answers.
-- DELAY_MS > 0 paces each connection (a steady rate instead of as fast as
-- answers come).
local bodies = {}
local threads = {}
local n_threads = 0

function setup(thread)
   n_threads = n_threads + 1
   thread:set("offset", n_threads)
   table.insert(threads, thread)
end

function init(args)
   for line in io.lines(os.getenv("BODIES")) do
      bodies[#bodies + 1] = line
   end
   i = offset * 7919
   ok = 0
   other = 0
   pace = tonumber(os.getenv("DELAY_MS") or "0")
   wrk.method = "POST"
   wrk.path = os.getenv("BIND_PATH") or "/huawei/bind"
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
   i = i + 1
   return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end

function delay()
   return pace
end

function response(status, headers, body)
   if status == 303 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
   local total_ok, total_other = 0, 0
   for _, t in ipairs(threads) do
      total_ok = total_ok + t:get("ok")
      total_other = total_other + t:get("other")
   end
   io.write(string.format("HCWATCH_OK %d\nHCWATCH_OTHER %d\n", total_ok, total_other))
   io.write(string.format("HCWATCH_P50_US %d\nHCWATCH_P99_US %d\n",
      latency:percentile(50), latency:percentile(99)))
end
