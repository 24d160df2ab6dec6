-- upload_start.lua records a new upload and takes one of its user's upload
-- slots, refusing when the user already holds the maximum.
--
-- An upload's state is a hash, <prefix>:{<org>}:upload:<id>; a user's
-- unfinished uploads are a sorted set, <prefix>:{<org>}:uploads:<user>,
-- of upload ids scored with their expiry (unix ms). Expired members are
-- dropped here, so an abandoned upload frees its slot when it expires
-- without anyone cleaning up.
--
-- KEYS: upload hash, user's upload set
-- ARGV: id, now (ms), expiry (ms), ttl (ms), max per user (0: none),
--       then field, value pairs for the hash
-- Returns 1, or 0 when the user is at the limit, or -1 when the id exists.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
local max = tonumber(ARGV[5])
if max > 0 and redis.call('ZCARD', KEYS[2]) >= max then
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
for i = 6, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
