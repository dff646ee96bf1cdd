-- Admits the next visitors at the room's rate for the time since the last tick.
-- KEYS[1] room meta, KEYS[2] queue, KEYS[3] last seen, KEYS[4] admitted, KEYS[5] lapsed
-- ARGV[1] now ms, ARGV[2] lapse ms, ARGV[3] admission lifetime ms, ARGV[4] most admitted per call
-- A visitor at the head not seen within the lapse is dropped without using up a place,
-- so people who walked away never stall the queue. Unused admissions are not banked
-- while the queue is empty. Any instance may call this: the elapsed time lives here.
-- Returns the admitted visitors, in order.
local m = redis.call('HMGET', KEYS[1], 'opens_ms', 'rate', 'last_ms', 'carry')
if not m[1] then return {} end
local now = tonumber(ARGV[1])
local opens = tonumber(m[1])
if now < opens then return {} end
local last = tonumber(m[3]) or opens
if last < opens then last = opens end
if now < last then return {} end
local budget = (tonumber(m[4]) or 0) + (tonumber(m[2]) or 0) * (now - last) / 1000
local most = tonumber(ARGV[4])
if budget > most then budget = most end
local n = math.floor(budget)
local oldest = now - tonumber(ARGV[2])
local until_ms = now + tonumber(ARGV[3])
local admitted = {}
local pops = 0
while #admitted < n and pops < 4 * most do
  local head = redis.call('ZPOPMIN', KEYS[2], 1)
  if #head == 0 then budget = #admitted break end
  pops = pops + 1
  local v = head[1]
  local seen = tonumber(redis.call('HGET', KEYS[3], v) or '0')
  redis.call('HDEL', KEYS[3], v)
  if seen >= oldest then
    redis.call('HSET', KEYS[4], v, until_ms)
    admitted[#admitted + 1] = v
  else
    redis.call('HSET', KEYS[5], v, now)
  end
end
redis.call('HSET', KEYS[1], 'last_ms', now, 'carry', tostring(budget - #admitted))
return admitted
