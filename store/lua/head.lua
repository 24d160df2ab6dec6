-- head.lua describes one org's log at one instant, creating its epoch if
-- absent (so a reader that asks before anyone publishes still gets an epoch
-- the first publish will keep).
--
-- KEYS: log (stream), epoch, seq
-- ARGV: epoch candidate ('' or absent = derive one from TIME)
-- Returns {epoch, last seq (0 if none), oldest retained seq (last+1 if empty)}.

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

local log, epoch, seq = KEYS[1], KEYS[2], KEYS[3]
local ep = ensure_epoch(log, epoch, seq, ARGV[1])
local last = last_seq(log, seq)
local first = last + 1
local oldest = redis.call('XRANGE', log, '-', '+', 'COUNT', 1)[1]
if oldest then first = tonumber(string.match(oldest[1], '^%d+')) end
return {ep, last, first}
