-- upload_commit.lua records how many bytes of an upload are durably stored,
-- if the caller still owns the upload (a resume elsewhere took it over
-- otherwise), and pushes its expiry forward. Committing the last byte moves
-- the upload to "completing": from then on it can no longer be aborted,
-- and a resume finishes the completion instead of taking more bytes.
--
-- KEYS: upload hash, user's upload set
-- ARGV: owner, offset, ttl (ms), expiry (ms), id
-- Returns 1, 0 when another owner holds the upload, -1 when it is gone or
-- already finished.
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  return -1
end
if owner ~= ARGV[1] then
  return 0
end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'active' and status ~= 'completing' then
  return -1
end
redis.call('HSET', KEYS[1], 'offset', ARGV[2])
if redis.call('HGET', KEYS[1], 'size') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'status', 'completing')
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], 'XX', ARGV[4], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
