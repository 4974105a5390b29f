-- The requests of bench/ingest and bench/pages, each wrk thread from its own
-- offset in its list:
--   BODIES: distinct signed binding notifications, one per line, POSTed to
--           BIND_PATH (default /huawei/bind); a 303 counts as answered;
--   PAGES:  paths of hcwatch's pages, one per line, GETed; a 200 counts.
-- DELAY_MS > 0 paces each connection (a steady rate instead of as fast as
-- answers come).
local lines = {}
local threads = {}
local n_threads = 0

function setup(thread)
   n_threads = n_threads + 1
   thread:set("offset", n_threads)
   table.insert(threads, thread)
end

function init(args)
   pages = os.getenv("PAGES")
   for line in io.lines(pages or os.getenv("BODIES")) do
      lines[#lines + 1] = line
   end
   i = offset * 7919
   ok = 0
   other = 0
   pace = tonumber(os.getenv("DELAY_MS") or "0")
   want = pages and 200 or 303
   if not pages then
      wrk.method = "POST"
      wrk.path = os.getenv("BIND_PATH") or "/huawei/bind"
      wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   end
end

function request()
   i = i + 1
   local line = lines[(i % #lines) + 1]
   if pages then
      return wrk.format("GET", line)
   end
   return wrk.format(nil, nil, nil, line)
end

function delay()
   return pace
end

function response(status, headers, body)
   if status == want then ok = ok + 1 else other = other + 1 end
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
