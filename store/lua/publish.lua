-- publish.lua appends events to one org's log and announces each one,
-- atomically: the events of one call get contiguous seqs, and all checks run
-- before the first write, so a rejected call writes nothing.
--
-- KEYS: log (stream), epoch, seq, notify (pub/sub channel)
-- ARGV: maxlen, epoch candidate ('' = derive one from TIME), optionally the
--       notify command ('publish', or 'spublish' for sharded pub/sub on a
--       Redis Cluster), then service, type, data for each event. The
--       command is optional so that the older form without it (which means
--       publish) keeps working: the two forms differ in #ARGV modulo 3.
-- Returns {first seq, last seq, epoch}.
--
-- Each event becomes stream entry "<seq>-0" with fields seq, service, type,
-- data, ts (unix ms from TIME, one value per call), and is PUBLISHed on the
-- notify channel (PUBLISH or SPUBLISH) as "<seq>\n<ts>\n<epoch>\n<service>\n<type>\n<data>". Names cannot
-- contain a newline and data comes last, so data may hold anything.
--
-- By hand, from the repository root:
--   redis-cli --eval store/lua/publish.lua 'realtime:{acme}:log' 'realtime:{acme}:epoch' \
--     'realtime:{acme}:seq' 'realtime:{acme}:notify' , 10000 '' finance revenue.created '{"amount":42}'
-- On a Redis Cluster, where gateways use sharded pub/sub by default, name the
-- command, or the gateways hear of the event only at the org's next one:
--   redis-cli -c --eval store/lua/publish.lua <the same four keys> , 10000 '' spublish finance revenue.created '{"amount":42}'

-- >>> shared: keep byte-identical in publish.lua and head.lua (scripts cannot
-- include each other; store's tests compare the two copies).

-- ensure_epoch returns the org's epoch, creating it if absent. A missing epoch
-- means this incarnation of the log is gone (FLUSHALL, eviction, a partial
-- restore), so whatever log or counter is left is dropped and a new
-- incarnation starts at seq 1: readers see the new epoch and start over
-- instead of trusting seqs that may repeat.
local function ensure_epoch(log, epoch, seq, candidate)
  local cur = redis.call('GET', epoch)
  if cur then return cur end
  if candidate == nil or candidate == '' then
    local t = redis.call('TIME')
    candidate = t[1] .. string.format('%06d', tonumber(t[2]))
  end
  redis.call('DEL', log, seq)
  redis.call('SET', epoch, candidate)
  return candidate
end

-- last_seq returns the last assigned seq: the counter, or the log's newest
-- entry if that is higher because the counter was lost (evicted, deleted by
-- hand) while the log survived. XADD refuses IDs that do not grow, so trusting
-- a lost counter would wedge the org's publishing for good.
local function last_seq(log, seq)
  local n = tonumber(redis.call('GET', seq) or '0')
  local top = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)[1]
  if top then n = math.max(n, tonumber(string.match(top[1], '^%d+'))) end
  return n
end
-- <<< shared

-- valid_name mirrors store.ValidName: redis-cli users bypass the Go checks.
local function valid_name(s)
  return #s <= 64 and string.find(s, '^[A-Za-z0-9_.:%-]+$') ~= nil
end

-- json_ok reports whether s parses as JSON. Real Redis's cjson raises on bad
-- input; miniredis's returns nil plus a message instead, so check both.
-- cjson is laxer than Go's json.Valid (it takes NaN, hex), but it stops the
-- common hand-typed mistakes: unquoted keys, empty data.
local function json_ok(s)
  local ok, _, err = pcall(cjson.decode, s)
  return ok and err == nil
end

-- events_start returns the index of the first event's service: 4 when ARGV[3]
-- names the notify command, 3 in the older form without it.
local function events_start()
  if (#ARGV - 3) % 3 == 0 then return 4 end
  return 3
end

-- check_args returns an error message, or nil when the call is well formed.
-- It runs before the first write because a script error does not undo the
-- writes made before it.
local function check_args()
  local maxlen = tonumber(ARGV[1])
  if not maxlen or maxlen < 1 or maxlen ~= math.floor(maxlen) then
    return 'invalid maxlen ' .. tostring(ARGV[1])
  end
  if #ARGV < 5 then
    return 'want ARGV: maxlen, epoch, [publish|spublish], then service, type, data per event'
  end
  local first = events_start()
  if first == 4 and ARGV[3] ~= 'publish' and ARGV[3] ~= 'spublish' then
    return 'invalid notify command ' .. ARGV[3] .. ' (want publish or spublish)'
  end
  for i = first, #ARGV, 3 do
    local ev = (i - first) / 3
    if not valid_name(ARGV[i]) then return 'event ' .. ev .. ': invalid service' end
    if not valid_name(ARGV[i + 1]) then return 'event ' .. ev .. ': invalid type' end
    if not json_ok(ARGV[i + 2]) then return 'event ' .. ev .. ': data is not JSON' end
  end
  return nil
end

local log, epoch, seq, notify = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local bad = check_args()
if bad then return redis.error_reply('ERR ' .. bad) end

local ep = ensure_epoch(log, epoch, seq, ARGV[2])
local first = last_seq(log, seq) + 1
local t = redis.call('TIME')
local ts = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
local s = first
local start, announce = events_start(), 'PUBLISH'
if start == 4 then announce = ARGV[3] end
for i = start, #ARGV, 3 do
  local id, service, typ, data = tostring(s), ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('XADD', log, 'MAXLEN', '~', ARGV[1], id .. '-0',
    'seq', id, 'service', service, 'type', typ, 'data', data, 'ts', ts)
  redis.call(announce, notify, id .. '\n' .. ts .. '\n' .. ep .. '\n' .. service .. '\n' .. typ .. '\n' .. data)
  s = s + 1
end
-- One SET instead of an INCR per event; the counter only has to be right
-- when the script ends.
redis.call('SET', seq, tostring(s - 1))
return {first, s - 1, ep}
