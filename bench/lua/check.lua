-- wrk script: one fixed request, and every response checked.
--
-- A response counts as "ok" when its status is BENCH_STATUS (default 200) and its body
-- contains BENCH_MARKER (when set): wrk itself counts a 3xx as a success, so a redirect to
-- /login would otherwise pass for the page. BENCH_METHOD and BENCH_BODY give the request;
-- headers come from wrk's -H. done() prints one machine-readable line, "WRKJSON {...}".
local expect = tonumber(os.getenv("BENCH_STATUS") or "200")
local marker = os.getenv("BENCH_MARKER") or ""
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
if body ~= "" then wrk.body = body end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, bad, first_bad = 0, 0, 0
end

function response(status, headers, resp_body)
  if status == expect and (marker == "" or (resp_body and string.find(resp_body, marker, 1, true))) then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end

function done(summary, latency, requests)
  local ok_total, bad_total, first = 0, 0, 0
  for _, t in ipairs(threads) do
    ok_total = ok_total + t:get("ok")
    bad_total = bad_total + t:get("bad")
    if first == 0 then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"ok":%d,"bad":%d,"first_bad_status":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, ok_total, bad_total, first,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
