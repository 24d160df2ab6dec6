-- upload_claim.lua makes the caller the owner of a user's upload (a start,
-- a resume or an HTTP PUT) if it is not finished, pushes its expiry
-- forward so the new owner has a full period before its first commit, and
-- returns its state. The previous owner's next commit then fails, so it
-- stops writing.
--
-- KEYS: upload hash, user's upload set
-- ARGV: user, new owner, ttl (ms), expiry (ms), id
-- Returns the hash as a flat field/value list, or an empty list when the
-- upload does not exist or belongs to another user.
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then
  return {}
end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'active' or status == 'completing' then
  redis.call('HSET', KEYS[1], 'owner', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[2], 'XX', ARGV[4], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return redis.call('HGETALL', KEYS[1])
