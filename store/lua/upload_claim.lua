-- upload_claim.lua makes the caller the owner of a user's upload (a start,
-- a resume or an HTTP PUT) and returns its state. The previous owner's
-- next commit then fails, so it stops writing.
--
-- KEYS: upload hash
-- ARGV: user, new owner
-- Returns the hash as a flat field/value list, or an empty list when the
-- upload does not exist or belongs to another user.
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then
  return {}
end
if redis.call('HGET', KEYS[1], 'status') == 'active' then
  redis.call('HSET', KEYS[1], 'owner', ARGV[2])
end
return redis.call('HGETALL', KEYS[1])
