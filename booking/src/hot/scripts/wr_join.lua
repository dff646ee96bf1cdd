-- A visitor joins a waiting room.
-- KEYS[1] room meta, KEYS[2] queue (visitor -> order), KEYS[3] last seen (visitor -> ms),
-- KEYS[4] admitted (visitor -> admitted until ms), KEYS[5] late-arrival sequence
-- ARGV[1] now ms, ARGV[2] visitor, ARGV[3] a random number in [0, 1)
-- Before the opening a visitor gets a random order key in [0, 1): at the opening the
-- early arrivals stand in random order. After it, 1 + a sequence number: the end.
-- Returns 'joined' | 'known' | 'no_room'.
local opens = redis.call('HGET', KEYS[1], 'opens_ms')
if not opens then return 'no_room' end
local now = tonumber(ARGV[1])
if redis.call('HEXISTS', KEYS[4], ARGV[2]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[2]) then
  redis.call('HSET', KEYS[3], ARGV[2], now)
  return 'known'
end
local order
if now < tonumber(opens) then
  order = tonumber(ARGV[3])
else
  order = 1 + redis.call('INCR', KEYS[5])
end
redis.call('ZADD', KEYS[2], order, ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], now)
return 'joined'
