-- wrk script of the OCSP serving benchmark (bench/ocsp_run.sh).
--
-- Environment:
--   OCSP_BODY   file: POST its bytes (Content-Type application/ocsp-request);
--               unset: GET the URL given to wrk
--   OCSP_CLOSE  1: "Connection: close" on every request (a fresh TCP
--               connection per request; wrk reconnects)
--
-- done() prints one machine-readable line:
--   RESULT requests=N duration_us=N rps=N p50_us=N p90_us=N p99_us=N
--          max_us=N bytes=N err_connect=N err_read=N err_write=N
--          err_status=N err_timeout=N
local body_file = os.getenv("OCSP_BODY")

-- wrk's own resolve() opens and closes a connection to every address
-- before the run, without a request. One such connection wedges
-- `openssl ocsp -port` (OpenSSL 3.0) at 100% CPU, so the addresses are
-- taken as looked up, unprobed.
wrk.resolve = function(host, service)
   wrk.addrs = wrk.lookup(host, service)
end

if body_file and body_file ~= "" then
   local f = assert(io.open(body_file, "rb"))
   wrk.body = f:read("*a")
   f:close()
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/ocsp-request"
end
if os.getenv("OCSP_CLOSE") == "1" then
   wrk.headers["Connection"] = "close"
end

done = function(summary, latency, requests)
   local s = summary
   io.write(string.format(
      "RESULT requests=%d duration_us=%d rps=%.0f p50_us=%d p90_us=%d " ..
      "p99_us=%d max_us=%d bytes=%d err_connect=%d err_read=%d " ..
      "err_write=%d err_status=%d err_timeout=%d\n",
      s.requests, s.duration, s.requests / (s.duration / 1e6),
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, s.bytes,
      s.errors.connect, s.errors.read, s.errors.write,
      s.errors.status, s.errors.timeout))
end
