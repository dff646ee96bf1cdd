-- What a request does in Redis before it runs, in one round trip: one more request in
-- a fixed rate-limit window, then the claim of its Idempotency-Key.
-- ARGV[1] the limit per window (0: none, and KEYS[1] is the key's record)
-- ARGV[2] the window, ms
-- ARGV[3] the record that claims the key ('': no key sent)
-- ARGV[4] how long a claim blocks retries, ms
-- KEYS: the window's counter (when limited), the key's record (when a key was sent).
-- Returns {1, false} to go on; {-1, ms until the window ends} over the limit (nothing claimed);
-- {0, the record or false} when the key was claimed before.
local limit = tonumber(ARGV[1])
local record = KEYS[1]
if limit > 0 then
  record = KEYS[2]
  local n = redis.call('INCR', KEYS[1])
  if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  if n > limit then return {-1, ttl} end
end
if ARGV[3] == '' then return {1, false} end
if redis.call('SET', record, ARGV[3], 'NX', 'PX', ARGV[4]) then return {1, false} end
return {0, redis.call('GET', record)}
