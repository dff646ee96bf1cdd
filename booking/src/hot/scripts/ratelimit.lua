-- Fixed-window counter: one more request in this window, if the window allows it.
-- KEYS[1] the counter; ARGV[1] window ms, ARGV[2] the limit.
-- Returns {allowed 1|0, ms until the window ends}.
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if n > tonumber(ARGV[2]) then return {0, ttl} end
return {1, ttl}
