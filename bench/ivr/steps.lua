-- wrk script: each thread replays its own file of pre-signed requests, in order, forever.
-- usage: wrk -s steps.lua URL -- <dir> <prefix> [think_ms]
-- Files <dir>/<prefix>-<thread>.txt hold one request per line: path<TAB>body<TAB>signature.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  local path = args[1] .. "/" .. args[2] .. "-" .. id .. ".txt"
  for line in io.lines(path) do
    local p, body, sig = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)")
    reqs[#reqs + 1] = wrk.format("POST", p, {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = sig,
    }, body)
  end
  i = 0
  think = tonumber(args[3] or "0")
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function delay()
  return think
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
