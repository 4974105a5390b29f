-- Loads hcwatch's pages: GETs the paths listed in PAGES, one per line, each
-- thread from its own offset. DELAY_MS > 0 paces each connection (a steady
-- load beside another benchmark); 0 loads as fast as answers come.
local paths = {}
local threads = {}
local n_threads = 0

function setup(thread)
   n_threads = n_threads + 1
   thread:set("offset", n_threads)
   table.insert(threads, thread)
end

function init(args)
   for line in io.lines(os.getenv("PAGES")) do
      paths[#paths + 1] = line
   end
   i = offset * 7919
   ok = 0
   other = 0
   pace = tonumber(os.getenv("DELAY_MS") or "0")
end

function request()
   i = i + 1
   return wrk.format("GET", paths[(i % #paths) + 1])
end

function delay()
   return pace
end

function response(status, headers, body)
   if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
   local total_ok, total_other = 0, 0
   for _, t in ipairs(threads) do
      total_ok = total_ok + t:get("ok")
      total_other = total_other + t:get("other")
   end
   io.write(string.format("PAGES_OK %d\nPAGES_OTHER %d\n", total_ok, total_other))
   io.write(string.format("PAGES_P50_US %d\nPAGES_P99_US %d\n",
      latency:percentile(50), latency:percentile(99)))
end
