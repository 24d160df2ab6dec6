-- upload_abort.lua deletes a user's unfinished upload and frees its slot.
-- An upload whose last byte is committed ("completing") or that finished
-- cannot be aborted: its file may already be in place and announced.
--
-- KEYS: upload hash, user's upload set
-- ARGV: user, id
-- Returns 1, or 0 when the upload does not exist, belongs to another user
-- or is completing or done.
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then
  return 0
end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'done' or status == 'completing' then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
