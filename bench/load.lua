-- The wrk script of bench/load.py: one route per wrk process; done() prints the figures as one JSON line.
--
--   wrk … -s bench/load.lua URL -- get EXPECTED                       GET the URL itself
--   wrk … -s bench/load.lua URL -- pages EXPECTED IDS_FILE            GET URL..id, ids read from the file (one a line)
--   wrk … -s bench/load.lua URL -- register EXPECTED BODY_FILE TAG    POST the body, each @N@ made unique
--
-- EXPECTED is the one status counted as success: a 302 to the login page is no error for wrk, but it is one here.
-- The session cookie and the Authorization header come with wrk's -H.

local threads = {}

function setup(thread)
   thread:set("number", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   mode, expected = args[1], tonumber(args[2])
   statuses, unexpected, counter = {}, 0, 0
   if mode == "pages" then
      ids = {}
      for line in io.lines(args[3]) do
         ids[#ids + 1] = line
      end
      math.randomseed(os.time() * 100 + number)
      position = math.random(#ids)  -- each run and thread starts somewhere else in the data
   elseif mode == "register" then
      local file = assert(io.open(args[3]))
      body = file:read("*a")
      file:close()
      tag = args[4]
      wrk.method = "POST"
      wrk.headers["Content-Type"] = "application/json"
   end
end

function request()
   counter = counter + 1
   if mode == "pages" then
      position = position % #ids + 1
      return wrk.format(nil, wrk.path .. ids[position])
   elseif mode == "register" then
      -- A new petitioner name per request: the repeat-visit check would answer 409 to a second one.
      return wrk.format(nil, nil, nil, (body:gsub("@N@", tag .. "-" .. number .. "-" .. counter)))
   end
   return wrk.format()
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status ~= expected then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local unexpected, statuses = 0, {}
   for _, thread in ipairs(threads) do
      unexpected = unexpected + thread:get("unexpected")
      for status, n in pairs(thread:get("statuses")) do
         statuses[status] = (statuses[status] or 0) + n
      end
   end
   local codes = {}
   for status, n in pairs(statuses) do
      codes[#codes + 1] = string.format('"%d": %d', status, n)
   end
   local errors = summary.errors
   io.write(string.format(
      'LOAD {"requests": %d, "duration_us": %d, "unexpected": %d, "statuses": {%s}, "non_2xx_3xx": %d, ' ..
      '"connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
      summary.requests, summary.duration, unexpected, table.concat(codes, ", "), errors.status,
      errors.connect, errors.read, errors.write, errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
