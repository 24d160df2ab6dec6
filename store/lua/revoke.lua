-- revoke.lua records a revocation and announces it on the org's notify
-- channel in one atomic step, so no gateway node can read the record
-- without the signal having been sent, nor hear the signal of a record that
-- was never written.
--
-- KEYS: record (<prefix>:{org}:revoked or <prefix>:{org}:revoked:<user>),
--       notify channel (<prefix>:{org}:notify)
-- ARGV: revocation time (unix seconds), TTL (seconds), announce command
--       (publish or spublish), user ('' for the whole org)
-- Returns the revocation time in force: never earlier than one already
-- recorded, so a node with a slow clock cannot shorten a revocation.
--
--   redis-cli --eval revoke.lua 'realtime:{acme}:revoked:u1' 'realtime:{acme}:notify' , 1700000000 86400 publish u1

local at = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
if not at or at < 0 then return redis.error_reply('invalid revocation time ' .. tostring(ARGV[1])) end
if not ttl or ttl < 1 then return redis.error_reply('invalid ttl ' .. tostring(ARGV[2])) end
if ARGV[3] ~= 'publish' and ARGV[3] ~= 'spublish' then
  return redis.error_reply('invalid announce command ' .. tostring(ARGV[3]))
end
local old = tonumber(redis.call('GET', KEYS[1]) or '')
if old and old > at then at = old end
redis.call('SET', KEYS[1], at, 'EX', ttl)
-- '!' marks a revocation on the channel; events start with a digit and
-- ephemeral signals with '~'.
redis.call(ARGV[3], KEYS[2], '!' .. at .. '\n' .. ARGV[4])
return at
