-- Give a hold back, but only the owner's own.
-- KEYS[1] hold set, KEYS[2] hold owners; ARGV[1] token, ARGV[2] owner pseudonym
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return 1
end
return 0
