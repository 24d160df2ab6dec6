-- publish.lua appends events to one org's log and announces each one,
-- atomically: the events of one call get contiguous seqs, and all checks run
-- before the first write, so a rejected call writes nothing.
--
-- KEYS: log (stream), epoch, seq, notify (pub/sub channel), idempotency key
--       prefix ("<prefix>:{org}:idem:"; the script appends each event's key)
-- ARGV: maxlen, epoch candidate ('' = derive one from TIME), idempotency
--       window (ms), then service, type, data, key ('' = none) for each event
-- Returns {first seq, last seq, epoch, duplicates}: the new events got
-- first..last in input order (first = last + 1 when every event was a
-- duplicate), and duplicates is a flat list {index, seq, index, seq, ...}
-- of the events (0-based) whose key was already taken in this epoch, with
-- the seq that key was first published under. A duplicate is not appended
-- and not announced.
--
-- A key is remembered as the string "<prefix>:{org}:idem:<key>" holding
-- "<seq>:<epoch>" for window ms, set right beside the XADD that assigned the
-- seq, so a retry racing the first attempt sees either nothing (and wins
-- alone) or the key. The idem keys are built from KEYS[5] rather than
-- listed in KEYS: they share the org's hash tag, so in Redis Cluster they
-- live in the slot this script already runs in.
--
-- Each event becomes stream entry "<seq>-0" with fields seq, service, type,
-- data, ts (unix ms from TIME, one value per call), and is PUBLISHed on the
-- notify channel as "<seq>\n<ts>\n<epoch>\n<service>\n<type>\n<data>". Names cannot
-- contain a newline and data comes last, so data may hold anything.
--
-- By hand, from the repository root (the last argument is the idempotency
-- key; '' publishes without one):
--   redis-cli --eval store/lua/publish.lua 'realtime:{acme}:log' 'realtime:{acme}:epoch' \
--     'realtime:{acme}:seq' 'realtime:{acme}:notify' 'realtime:{acme}:idem:' , \
--     10000 '' 86400000 finance revenue.created '{"amount":42}' order-42-created

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

-- Where the events start in ARGV and how many fields each has.
local FIRST, STRIDE = 4, 4

-- valid_name mirrors store.ValidName: redis-cli users bypass the Go checks.
local function valid_name(s)
  return #s <= 64 and string.find(s, '^[A-Za-z0-9_.:%-]+$') ~= nil
end

-- valid_key mirrors store.ValidKey ('' means no key).
local function valid_key(s)
  return #s <= 160 and (s == '' or string.find(s, '^[A-Za-z0-9_.:%-]+$') ~= nil)
end

-- json_ok reports whether s parses as JSON. Real Redis's cjson raises on bad
-- input; miniredis's returns nil plus a message instead, so check both.
-- cjson is laxer than Go's json.Valid (it takes NaN, hex), but it stops the
-- common hand-typed mistakes: unquoted keys, empty data.
local function json_ok(s)
  local ok, _, err = pcall(cjson.decode, s)
  return ok and err == nil
end

-- positive_int reports whether s is a whole number >= 1.
local function positive_int(s)
  local n = tonumber(s)
  return n ~= nil and n >= 1 and n == math.floor(n)
end

-- check_args returns an error message, or nil when the call is well formed.
-- It runs before the first write because a script error does not undo the
-- writes made before it.
local function check_args()
  if not positive_int(ARGV[1]) then return 'invalid maxlen ' .. tostring(ARGV[1]) end
  if not positive_int(ARGV[3]) then return 'invalid idempotency window ' .. tostring(ARGV[3]) end
  if #KEYS ~= 5 then return 'want KEYS: log, epoch, seq, notify, idempotency key prefix' end
  if #ARGV < FIRST + STRIDE - 1 or (#ARGV - FIRST + 1) % STRIDE ~= 0 then
    return 'want ARGV: maxlen, epoch, window, then service, type, data, key per event'
  end
  for i = FIRST, #ARGV, STRIDE do
    local ev = (i - FIRST) / STRIDE
    if not valid_name(ARGV[i]) then return 'event ' .. ev .. ': invalid service' end
    if not valid_name(ARGV[i + 1]) then return 'event ' .. ev .. ': invalid type' end
    if not json_ok(ARGV[i + 2]) then return 'event ' .. ev .. ': data is not JSON' end
    if not valid_key(ARGV[i + 3]) then return 'event ' .. ev .. ': invalid idempotency key' end
  end
  return nil
end

-- seen returns the seq an idempotency key was published under in epoch ep,
-- or nil. A key left from an earlier epoch names an event that went with
-- that incarnation of the log, so it does not count.
local function seen(idem, ep)
  local v = redis.call('GET', idem)
  if not v then return nil end
  local s, e = string.match(v, '^(%d+):(.*)$')
  if e ~= ep then return nil end
  return tonumber(s)
end

local log, epoch, seq, notify, idem = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local bad = check_args()
if bad then return redis.error_reply('ERR ' .. bad) end

local ep = ensure_epoch(log, epoch, seq, ARGV[2])
local first = last_seq(log, seq) + 1
local t = redis.call('TIME')
local ts = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
local s, dups = first, {}
for i = FIRST, #ARGV, STRIDE do
  local id, service, typ, data, key = tostring(s), ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local orig = key ~= '' and seen(idem .. key, ep)
  if orig then
    dups[#dups + 1] = (i - FIRST) / STRIDE
    dups[#dups + 1] = orig
  else
    redis.call('XADD', log, 'MAXLEN', '~', ARGV[1], id .. '-0',
      'seq', id, 'service', service, 'type', typ, 'data', data, 'ts', ts)
    redis.call('PUBLISH', notify, id .. '\n' .. ts .. '\n' .. ep .. '\n' .. service .. '\n' .. typ .. '\n' .. data)
    if key ~= '' then redis.call('SET', idem .. key, id .. ':' .. ep, 'PX', ARGV[3]) end
    s = s + 1
  end
end
-- One SET instead of an INCR per event; the counter only has to be right
-- when the script ends. A call of only duplicates leaves it alone.
if s > first then redis.call('SET', seq, tostring(s - 1)) end
return {first, s - 1, ep, dups}
