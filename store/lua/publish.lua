-- publish.lua appends events to one org's log and announces each one,
-- atomically: the events of one call get contiguous seqs, and all checks run
-- before the first write, so a rejected call writes nothing.
--
-- KEYS: log (stream), epoch, seq, notify (pub/sub channel), and optionally
--       the idempotency key prefix ("<prefix>:{org}:idem:"; the script
--       appends each event's key)
-- ARGV: maxlen, epoch candidate ('' = derive one from TIME), then zero or
--       more options, then the events. An option is an argument holding
--       '=', which no service name can, so options and events never blur:
--         notify=publish|spublish  how to announce (default publish;
--                                  spublish for sharded pub/sub on a Cluster)
--         idem=<window ms>         events carry a fourth field, an
--                                  idempotency key ('' = none), remembered
--                                  for the window; needs the fifth KEY
--       Each event is service, type, data (and key with idem=). Unknown
--       options, repeated options and malformed values are errors. The
--       oldest form, four KEYS and no option, keeps meaning what it always
--       did: triples, announced with PUBLISH.
-- Returns {first seq, last seq, epoch}, and with idem= a fourth element,
-- duplicates: the new events got first..last in input order (first =
-- last + 1 when every event was a duplicate), and duplicates is a flat list
-- {index, seq, index, seq, ...} of the events (0-based) whose key was
-- already taken in this epoch, with the seq that key was first published
-- under. A duplicate is neither appended nor announced.
--
-- A key is remembered as the string "<prefix>:{org}:idem:<key>" holding
-- "<seq>:<epoch>" for window ms, set right beside the XADD that assigned the
-- seq, so a retry racing the first attempt sees either nothing (and wins
-- alone) or the key. The idem keys are built from KEYS[5] rather than
-- listed in KEYS: they share the org's hash tag, so in Redis Cluster they
-- live in the slot this script already runs in.
--
-- Each event becomes stream entry "<seq>-0" with fields seq, service, type,
-- data, ts (unix ms from TIME, one value per call), and is announced on the
-- notify channel (PUBLISH or SPUBLISH) as
-- "<seq>\n<ts>\n<epoch>\n<service>\n<type>\n<data>". Names cannot contain a
-- newline and data comes last, so data may hold anything.
--
-- By hand, from the repository root (README.md has these lines too):
--   redis-cli --eval store/lua/publish.lua 'realtime:{acme}:log' 'realtime:{acme}:epoch' \
--     'realtime:{acme}:seq' 'realtime:{acme}:notify' , 10000 '' finance revenue.created '{"amount":42}'
-- On a Redis Cluster, where gateways use sharded pub/sub by default, name the
-- command, or the gateways hear of the event only at the org's next one:
--   redis-cli -c --eval store/lua/publish.lua <the same four keys> , 10000 '' notify=spublish finance revenue.created '{"amount":42}'
-- With an idempotency key (a repeat within the window is not published again):
--   redis-cli --eval store/lua/publish.lua <the same four keys> 'realtime:{acme}:idem:' , \
--     10000 '' idem=86400000 finance revenue.created '{"amount":42}' order-42-created

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

-- positive_int reports whether s is a whole number >= 1 written in at most
-- 15 digits: the form XADD MAXLEN and SET PX parse, checked here because
-- their errors would come after the first write.
local function positive_int(s)
  return #s <= 15 and string.find(s, '^%d+$') ~= nil and tonumber(s) >= 1
end

-- parse_options reads the options after ARGV[2]. It returns a table
-- {notify = 'PUBLISH'|'SPUBLISH', window = ms string or nil, first = index
-- of the first event, stride = fields per event}, or nil and a message.
local function parse_options()
  local o = {notify = 'PUBLISH', first = 3, stride = 3}
  local given = {}
  while ARGV[o.first] and string.find(ARGV[o.first], '=', 1, true) do
    local name, value = string.match(ARGV[o.first], '^([^=]*)=(.*)$')
    if given[name] then return nil, 'option ' .. name .. ' given twice' end
    given[name] = true
    if name == 'notify' then
      if value ~= 'publish' and value ~= 'spublish' then
        return nil, 'invalid notify=' .. value .. ' (want publish or spublish)'
      end
      o.notify = string.upper(value)
    elseif name == 'idem' then
      if not positive_int(value) then return nil, 'invalid idem=' .. value .. ' (want a window in ms >= 1)' end
      o.window, o.stride = value, 4
    else
      return nil, 'unknown option ' .. ARGV[o.first] .. ' (want notify= or idem=)'
    end
    o.first = o.first + 1
  end
  return o
end

-- check_args returns the parsed options, or nil and an error message. It
-- runs before the first write because a script error does not undo the
-- writes made before it.
local function check_args()
  if #KEYS ~= 4 and #KEYS ~= 5 then
    return nil, 'want KEYS: log, epoch, seq, notify [, idempotency key prefix]'
  end
  if not ARGV[1] or not positive_int(ARGV[1]) then return nil, 'invalid maxlen ' .. tostring(ARGV[1]) end
  local o, bad = parse_options()
  if not o then return nil, bad end
  if o.window and #KEYS ~= 5 then return nil, 'idem= needs the idempotency key prefix as the fifth KEY' end
  local n = #ARGV - o.first + 1
  if n < o.stride or n % o.stride ~= 0 then
    if o.window then
      return nil, 'want ARGV: maxlen, epoch, options, then service, type, data, key per event'
    end
    return nil, 'want ARGV: maxlen, epoch, options, then service, type, data per event'
  end
  for i = o.first, #ARGV, o.stride do
    local ev = (i - o.first) / o.stride
    if not valid_name(ARGV[i]) then return nil, 'event ' .. ev .. ': invalid service' end
    if not valid_name(ARGV[i + 1]) then return nil, 'event ' .. ev .. ': invalid type' end
    if not json_ok(ARGV[i + 2]) then return nil, 'event ' .. ev .. ': data is not JSON' end
    if o.window and not valid_key(ARGV[i + 3]) then return nil, 'event ' .. ev .. ': invalid idempotency key' end
  end
  return o
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
local o, bad = check_args()
if not o then return redis.error_reply('ERR ' .. bad) end

local ep = ensure_epoch(log, epoch, seq, ARGV[2])
local first = last_seq(log, seq) + 1
local t = redis.call('TIME')
local ts = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
local s, dups = first, {}
for i = o.first, #ARGV, o.stride do
  local id, service, typ, data = tostring(s), ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local key = o.window and ARGV[i + 3] or ''
  local orig = key ~= '' and seen(idem .. key, ep)
  if orig then
    dups[#dups + 1] = (i - o.first) / o.stride
    dups[#dups + 1] = orig
  else
    redis.call('XADD', log, 'MAXLEN', '~', ARGV[1], id .. '-0',
      'seq', id, 'service', service, 'type', typ, 'data', data, 'ts', ts)
    redis.call(o.notify, notify, id .. '\n' .. ts .. '\n' .. ep .. '\n' .. service .. '\n' .. typ .. '\n' .. data)
    if key ~= '' then redis.call('SET', idem .. key, id .. ':' .. ep, 'PX', o.window) end
    s = s + 1
  end
end
-- One SET instead of an INCR per event; the counter only has to be right
-- when the script ends. A call of only duplicates leaves it alone.
if s > first then redis.call('SET', seq, tostring(s - 1)) end
-- Without idem= the reply keeps its original three elements.
if not o.window then return {first, s - 1, ep} end
return {first, s - 1, ep, dups}
