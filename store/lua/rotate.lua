-- rotate.lua replaces an org's epoch, keeping its log, but only if the
-- epoch is still the one the caller saw (compare-and-set, so several
-- gateway nodes noticing the same problem rotate it once).
--
-- A gateway calls it when the log went backwards under an unchanged epoch:
-- its tail had delivered seq N, and the log's last seq is now below N. That
-- happens after a Sentinel failover that lost writes the old master had
-- acknowledged but not replicated, or a restore from an older snapshot.
-- New publishes would then reuse seqs some clients already applied; a new
-- epoch makes every such client resync (recovered:false) instead.
--
-- KEYS: epoch
-- ARGV: the epoch the caller saw, the new epoch
-- Returns the epoch in force afterwards.
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
return cur
