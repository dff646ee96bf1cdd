-- Mirror a slot's PostgreSQL row into Redis, optionally consuming the hold it was booked from.
-- Only a newer version is written, so a late writer never rolls the mirror back.
-- KEYS[1] slot hash, KEYS[2] hold set, KEYS[3] hold owners
-- ARGV: version, capacity, booked, closed (0|1), invitation only (0|1), site, campaign,
--       start ms, end ms, token or ''
if ARGV[10] ~= '' then
  redis.call('ZREM', KEYS[2], ARGV[10])
  redis.call('HDEL', KEYS[3], ARGV[10])
end
local cur = redis.call('HGET', KEYS[1], 'ver')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[1], 'cap', ARGV[2], 'booked', ARGV[3], 'closed', ARGV[4],
  'inv', ARGV[5], 'site', ARGV[6], 'campaign', ARGV[7], 'start_ms', ARGV[8], 'end_ms', ARGV[9])
-- A day after the slot ends nobody needs its keys.
local gone = tonumber(ARGV[9]) + 86400000
redis.call('PEXPIREAT', KEYS[1], gone)
redis.call('PEXPIREAT', KEYS[2], gone)
redis.call('PEXPIREAT', KEYS[3], gone)
return 1
