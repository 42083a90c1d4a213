-- wrk script for bench/run.sh, adapted from wrk's examples/scripts/pipeline.lua.
--
--   wrk ... -s bench/pipeline.lua http://127.0.0.1:PORT/ -- DEPTH
--
-- DEPTH (default 1) identical "GET <url path>" requests are written back to
-- back on each connection before wrk reads the DEPTH responses (HTTP/1.1
-- pipelining). With DEPTH 1 no request() function is defined, so wrk keeps its
-- fast static-request path and this script only adds the done() summary.
--
-- What wrk does with a pipelined script (wrk 4.1, src/wrk.c):
--   * it parses the string returned by request() once at start-up and counts
--     the requests in it (cfg.pipeline); every response parsed counts as one
--     completed request, so Requests/sec counts responses, not batches;
--   * latency is recorded per batch (from writing the batch to the last of
--     its DEPTH responses), so latency percentiles of a pipelined run are not
--     per-request latencies;
--   * a server that answers only the first request of a batch stalls that
--     connection forever (wrk has no per-request timeout), which shows up as
--     a very low request count rather than as errors.
--
-- done() prints one machine-readable line that bench/run.sh parses:
--   BENCH_RESULT requests=N duration_us=N p99_us=N connect=N read=N write=N status=N timeout=N

local depth = 1

function init(args)
   -- wrk passes its non-option arguments: args[0] is the URL, args[1] the
   -- first one after "--". Take the first numeric one to be safe.
   for i = 0, #args do
      if tonumber(args[i]) then
         depth = tonumber(args[i])
         break
      end
   end
   if depth > 1 then
      local r = {}
      for i = 1, depth do
         r[i] = wrk.format(nil, nil)   -- method and path from the URL: GET /
      end
      local req = table.concat(r)
      request = function()
         return req
      end
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
      summary.requests, summary.duration, latency:percentile(99.0),
      e.connect, e.read, e.write, e.status, e.timeout))
end
