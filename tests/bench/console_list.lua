-- wrk script: POST /api/invoke/mail.message.list as the console sends it
-- (session cookie, CSRF token, JSON body), each answer checked for 200;
-- prints one JSON line of latencies (ms) and rates at the end.
--   wrk ... -s console_list.lua URL -- COOKIE CSRF ACCOUNT PAGE_SIZE
local bad = 0

function init(args)
  wrk.method = "POST"
  wrk.path = "/api/invoke/mail.message.list"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Cookie"] = "erphost_session=" .. args[1]
  wrk.headers["X-CSRF-Token"] = args[2]
  -- the body of ui/src/mail/Mail.tsx's mail.message.list
  wrk.body = '{"account":"' .. args[3] .. '","state":"pending","page_size":' .. args[4] .. ',"total":false}'
end

function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if bad == 1 then io.stderr:write("answer " .. status .. ": " .. body:sub(1, 300) .. "\n") end
  end
end

function done(summary, latency, requests)
  local ms = function(us) return us / 1000 end
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f,' ..
    '"mean_ms":%.2f,"errors":%d,"non_200":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    ms(latency:percentile(50)), ms(latency:percentile(95)), ms(latency:percentile(99)), ms(latency.max),
    ms(latency.mean), errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
