-- Mirror a slot's PostgreSQL row into Redis, optionally consuming the hold it was booked from.
-- Only a newer version is written, so a late writer never rolls the mirror back.
-- KEYS[1] slot hash, KEYS[2] hold set, KEYS[3] hold owners
-- ARGV: version, capacity, booked, closed (0|1), site, campaign, start ms, end ms, token or ''
if ARGV[9] ~= '' then
  redis.call('ZREM', KEYS[2], ARGV[9])
  redis.call('HDEL', KEYS[3], ARGV[9])
end
local cur = redis.call('HGET', KEYS[1], 'ver')
if cur and tonumber(cur) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[1], 'cap', ARGV[2], 'booked', ARGV[3], 'closed', ARGV[4],
  'site', ARGV[5], 'campaign', ARGV[6], 'start_ms', ARGV[7], 'end_ms', ARGV[8])
-- A day after the slot ends nobody needs its keys.
local gone = tonumber(ARGV[8]) + 86400000
redis.call('PEXPIREAT', KEYS[1], gone)
redis.call('PEXPIREAT', KEYS[2], gone)
redis.call('PEXPIREAT', KEYS[3], gone)
return 1
