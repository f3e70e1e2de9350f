-- wrk script: replays pre-signed, distinct pushes read from a data file (bench/wechat_wrk.py writes it).
-- Each line: the request path with its query string, a tab, the body. Thread i of n takes lines i, i+n, ...
-- so no push is sent twice. A thread that has had every one of its pushes answered stops and leaves a marker
-- file (PUSHES .. ".done." .. id), and one when it has sent them all (".sent."); bench/wechat_wrk.py then ends wrk with SIGINT, so the duration wrk reports is
-- the time all pushes took. A connection with nothing left to send sends nothing (an empty request) and idles.
-- Environment: PUSHES (the data file), EXPECT (a substring every good answer carries), WRK_THREADS.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function init(args)
  id = wrk.thread:get("id")
  local total = tonumber(os.getenv("WRK_THREADS") or "1")
  expect = os.getenv("EXPECT") or "success"
  requests, sent, answered, bad, repeats = {}, 0, 0, 0, 0
  local index = 0
  for line in io.lines(os.getenv("PUSHES")) do
    if index % total == id then
      local tab = line:find("\t", 1, true)
      local path, body = line:sub(1, tab - 1), line:sub(tab + 1)
      requests[#requests + 1] = wrk.format("POST", path, {["Content-Type"] = "text/xml"}, body)
    end
    index = index + 1
  end
end

function request()
  if id == 0 and not verified then  -- wrk calls thread 0's request() once before the run, to check it
    verified = true
    return requests[1]
  end
  sent = sent + 1
  if sent == #requests then
    io.open(os.getenv("PUSHES") .. ".sent." .. id, "w"):close()
  end
  if sent > #requests then
    repeats = repeats + 1
    return ""
  end
  return requests[sent]
end

function response(status, headers, body)
  answered = answered + 1
  if (status ~= 200 or not body:find(expect, 1, true)) then
    bad = bad + 1
  end
  if answered == #requests then
    io.open(os.getenv("PUSHES") .. ".done." .. id, "w"):close()
  end
  if answered >= #requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests_)
  local total_bad, total_repeats, total_answered = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    total_repeats = total_repeats + thread:get("repeats")
    total_answered = total_answered + thread:get("answered")
  end
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
    .. "bad=%d unsent=%d answered=%d connect_err=%d read_err=%d write_err=%d status_err=%d timeout_err=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    total_bad, total_repeats, total_answered, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
