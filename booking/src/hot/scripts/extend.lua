-- Give a live hold, the owner's own, a new expiry, at most a fixed number of times.
-- KEYS[1] hold set (token -> expiry ms), KEYS[2] hold owners, KEYS[3] extension counts
-- (token -> n), KEYS[4] slot hash
-- ARGV[1] token, ARGV[2] owner pseudonym, ARGV[3] now ms, ARGV[4] new expiry ms,
-- ARGV[5] most extensions allowed
-- Returns {status, extensions so far, expiry ms, campaign};
-- status ok | gone | not_yours | limit.
local owner = redis.call('HGET', KEYS[2], ARGV[1])
if not owner then return {'gone', 0, 0, 0} end
if owner ~= ARGV[2] then return {'not_yours', 0, 0, 0} end
local exp = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if exp <= tonumber(ARGV[3]) then return {'gone', 0, 0, 0} end
local n = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if n >= tonumber(ARGV[5]) then return {'limit', n, exp, 0} end
-- Never shorten a hold: the new expiry is the later of the two.
local new_exp = math.max(exp, tonumber(ARGV[4]))
redis.call('ZADD', KEYS[1], 'XX', new_exp, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], n + 1)
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
local campaign = tonumber(redis.call('HGET', KEYS[4], 'campaign') or '0')
return {'ok', n + 1, new_exp, campaign}
