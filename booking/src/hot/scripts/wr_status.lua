-- Where a visitor stands; a refresh also keeps the place (last seen = now).
-- KEYS[1..4] as wr_join.lua, KEYS[5] lapsed (visitors dropped at the head); ARGV[1] now ms, ARGV[2] visitor, ARGV[3] lapse ms
-- Returns {state, people ahead, ms (opening or admitted-until), rate in admissions per 1000 s}
-- state: before_opening | waiting | admitted | lapsed | expired | unknown | no_room
local m = redis.call('HMGET', KEYS[1], 'opens_ms', 'rate')
if not m[1] then return {'no_room', 0, 0, 0} end
local now = tonumber(ARGV[1])
local rate = math.floor((tonumber(m[2]) or 0) * 1000)
local until_ms = redis.call('HGET', KEYS[4], ARGV[2])
if until_ms then
  if tonumber(until_ms) > now then return {'admitted', 0, tonumber(until_ms), rate} end
  redis.call('HDEL', KEYS[4], ARGV[2])
  return {'expired', 0, 0, rate}
end
local ahead = redis.call('ZRANK', KEYS[2], ARGV[2])
if not ahead then
  if redis.call('HEXISTS', KEYS[5], ARGV[2]) == 1 then return {'lapsed', 0, 0, rate} end
  return {'unknown', 0, 0, rate}
end
local seen = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0')
if seen < now - tonumber(ARGV[3]) then
  redis.call('ZREM', KEYS[2], ARGV[2])
  redis.call('HDEL', KEYS[3], ARGV[2])
  redis.call('HSET', KEYS[5], ARGV[2], now)
  return {'lapsed', 0, 0, rate}
end
redis.call('HSET', KEYS[3], ARGV[2], now)
if now < tonumber(m[1]) then return {'before_opening', 0, tonumber(m[1]), rate} end
return {'waiting', ahead, 0, rate}
