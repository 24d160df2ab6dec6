-- upload_finish.lua ends an upload (status "done" or "failed") if the caller
-- owns it, frees its user's slot and keeps the record for ttl so that a
-- late resume learns the outcome.
--
-- KEYS: upload hash, user's upload set
-- ARGV: owner, status, seq, ttl (ms), id
-- Returns 1, 0 when another owner holds the upload, -1 when it is gone.
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  return -1
end
if owner ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'seq', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[5])
return 1
