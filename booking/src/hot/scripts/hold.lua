-- Reserve one place in a slot for a limited time, if there is one.
-- KEYS[1] slot hash, KEYS[2] hold set (token -> expiry ms), KEYS[3] hold owners (token -> owner)
-- ARGV[1] now ms, ARGV[2] expiry ms, ARGV[3] token, ARGV[4] owner pseudonym,
-- ARGV[5] the campaigns the owner is invited to, as ',3,7,'
-- Returns {status, places left, campaign}; status ok | full | closed | past | not_invited | missing
-- (the campaign with ok and not_invited, else 0).
local s = redis.call('HMGET', KEYS[1], 'cap', 'booked', 'closed', 'start_ms', 'campaign', 'inv')
if not s[1] then return {'missing', 0, 0} end
if s[3] == '1' then return {'closed', 0, 0} end
local now = tonumber(ARGV[1])
if tonumber(s[4]) <= now then return {'past', 0, 0} end
if s[6] == '1' and not string.find(ARGV[5], ',' .. s[5] .. ',', 1, true) then
  return {'not_invited', 0, tonumber(s[5])}
end
-- Expired holds give their place back before we count.
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
if #expired > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  for i = 1, #expired, 500 do
    redis.call('HDEL', KEYS[3], unpack(expired, i, math.min(i + 499, #expired)))
  end
end
local free = tonumber(s[1]) - tonumber(s[2]) - redis.call('ZCARD', KEYS[2])
if free <= 0 then return {'full', 0, 0} end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return {'ok', free - 1, tonumber(s[5])}
