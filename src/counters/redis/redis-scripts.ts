/**
 * The Lua scripts behind the Redis counters. Each operation is ONE script, so Redis runs it
 * atomically: no other request's reservation can interleave between checking a limit and taking it.
 *
 * KEYS, per claim in order: the counter's key and, for budgets only, the key of its reservations'
 * deadlines (`<counter>:leases`). Both derive from the caller's counter name, which carries a hash
 * tag such as `{prj_x}`, so all keys of one request live in one Redis Cluster slot.
 * ARGV: now, lease ms, reservation id, mode (settle|release, for GIVE_BACK), actual cost nano and
 * actual tokens (settle), then five values per claim: kind (r|c|b) and kind-specific
 * numbers (rate: limit, windowMs, amount, unit t|r; concurrency: limit; budget: limitNano, hard 1|0,
 * amountNano, resetAt).
 *
 * Numbers cross the boundary as strings formatted with %.17g, which round-trips every double
 * exactly (Redis's default conversions keep only 14 digits, too few for a ms timestamp with a
 * fraction); whole numbers below 1e15 as %d, the same digits. The arithmetic is the same, in the
 * same order, as the in-memory counters.
 *
 * Storage: a rate counter is a string holding its GCRA theoretical arrival time; a concurrency
 * counter is a sorted set of reservation ids scored by their lease deadline; a budget is a hash
 * (spent, reserved, resetAt, and `r:<id>` = amount held per reservation) plus the leases sorted set.
 * A reservation whose lease passed belongs to an instance that died: the next script touching that
 * budget settles it at its reserved amount (spend is never under-counted) and frees its slot.
 */
const PRELUDE = `
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local id = ARGV[3]
local HEAD = 6
local format, floor = string.format, math.floor
-- %.17g is glibc's slowest path; a whole number below 1e15 prints the same digits with %d, faster.
-- Zero stays with %.17g, which keeps the sign of -0 as the in-memory counters do.
local function fmt(x)
  if x ~= 0 and x == floor(x) and x > -1e15 and x < 1e15 then return format('%d', x) end
  return format('%.17g', x)
end
-- Each claim's arguments, converted once per script: the loops below ask for them again and again.
local parsed = {}
local function claim(i)
  local c = parsed[i]
  if c == nil then
    local base = HEAD + (i - 1) * 5
    c = {ARGV[base + 1], tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4]), ARGV[base + 5]}
    parsed[i] = c
  end
  return c[1], c[2], c[3], c[4], c[5]
end
-- KEYS index of each claim's counter key, and of its leases key for budgets.
local nclaims = (#ARGV - HEAD) / 5
local key, leases = {}, {}
do
  local k = 1
  for i = 1, nclaims do
    local kind = ARGV[HEAD + (i - 1) * 5 + 1]
    key[i] = KEYS[k]; k = k + 1
    if kind == 'b' then leases[i] = KEYS[k]; k = k + 1 end
  end
end
local function settle_expired(i)
  local expired = redis.call('ZRANGEBYSCORE', leases[i], '-inf', '(' .. fmt(now))
  for _, rid in ipairs(expired) do
    local held = tonumber(redis.call('HGET', key[i], 'r:' .. rid) or '0')
    local reserved = tonumber(redis.call('HGET', key[i], 'reserved') or '0')
    redis.call('HSET', key[i], 'reserved', fmt(math.max(0, reserved - held)))
    redis.call('HINCRBYFLOAT', key[i], 'spent', fmt(held))
    redis.call('HDEL', key[i], 'r:' .. rid)
    redis.call('ZREM', leases[i], rid)
  end
end
local function expire_slots(i)
  redis.call('ZREMRANGEBYSCORE', key[i], '-inf', '(' .. fmt(now))
end
-- Each rate counter's stored TAT (false: none), read once per script and kept up to date by set_tat,
-- so that checking, taking and reporting a rate read Redis once instead of three times.
local stored_tats = {}
local function stored_tat(i)
  local v = stored_tats[key[i]]
  if v == nil then
    local stored = redis.call('GET', key[i])
    v = stored and tonumber(stored) or false
    stored_tats[key[i]] = v
  end
  return v
end
local function set_tat(i, text, ...)
  redis.call('SET', key[i], text, ...)
  stored_tats[key[i]] = tonumber(text)
end
local function tat_of(i)
  local stored = stored_tat(i)
  if stored then return math.max(stored, now) end
  return now
end
-- What each claim's counter holds now: rate -> TAT, concurrency -> slots, budget -> spent + reserved.
local function raw(i)
  local kind = claim(i)
  if kind == 'r' then return fmt(tat_of(i)) end
  if kind == 'c' then return fmt(redis.call('ZCOUNT', key[i], fmt(now), '+inf')) end
  local v = redis.call('HMGET', key[i], 'spent', 'reserved')
  if not v[1] then return '0' end
  return fmt(tonumber(v[1]) + tonumber(v[2]))
end
local function all_raw()
  local out = {}
  for i = 1, nclaims do out[i] = raw(i) end
  return out
end
local function keep_budget(i, reset_at)
  redis.call('PEXPIRE', key[i], math.ceil(math.max(reset_at - now, 0) + 2 * lease))
  redis.call('PEXPIRE', leases[i], math.ceil(math.max(reset_at - now, 0) + 2 * lease))
end
`;

/** Returns {'unseeded', counters...} | {'refused', index, retryAfterMs, raw...} | {'ok', raw...}. */
export const RESERVE = `${PRELUDE}
local unseeded = {'unseeded'}
for i = 1, nclaims do
  local kind = claim(i)
  if kind == 'b' and redis.call('EXISTS', key[i]) == 0 then unseeded[#unseeded + 1] = i end
end
if #unseeded > 1 then return unseeded end
for i = 1, nclaims do
  local kind = claim(i)
  if kind == 'b' then settle_expired(i) elseif kind == 'c' then expire_slots(i) end
end
for i = 1, nclaims do
  local kind, a, b, c, d = claim(i)
  local wait = 0
  if kind == 'r' then
    local over = tat_of(i) + c * (b / a) - now - b
    if over > 0 then wait = math.ceil(over) end
  elseif kind == 'c' then
    if redis.call('ZCARD', key[i]) + 1 > a then wait = 1000 end
  elseif b == 1 then
    local v = redis.call('HMGET', key[i], 'spent', 'reserved')
    if tonumber(v[1]) + tonumber(v[2]) + c > a then wait = math.max(1, tonumber(d) - now) end
  end
  if wait > 0 then
    local out = {'refused', i, fmt(wait)}
    for _, v in ipairs(all_raw()) do out[#out + 1] = v end
    return out
  end
end
for i = 1, nclaims do
  local kind, a, b, c, d = claim(i)
  if kind == 'r' then
    local tat = tat_of(i) + c * (b / a)
    set_tat(i, fmt(tat), 'PX', math.ceil(tat - now + b) + 1)
  elseif kind == 'c' then
    redis.call('ZADD', key[i], fmt(now + lease), id)
    redis.call('PEXPIRE', key[i], math.ceil(2 * lease))
  else
    local v = redis.call('HMGET', key[i], 'reserved', 'r:' .. id)
    local reserved, held = tonumber(v[1]), tonumber(v[2] or '0')
    redis.call('HSET', key[i], 'reserved', fmt(reserved + c), 'r:' .. id, fmt(held + c))
    redis.call('ZADD', leases[i], fmt(now + lease), id)
    keep_budget(i, tonumber(d))
  end
end
local out = {'ok'}
for _, v in ipairs(all_raw()) do out[#out + 1] = v end
return out
`;

/**
 * Settles (mode 'settle', with the actual cost and tokens) or releases (mode 'release'). A budget
 * reservation already settled by an expired lease is not counted twice. Returns raw values.
 */
export const GIVE_BACK = `${PRELUDE}
local mode = ARGV[4]
local cost = tonumber(ARGV[5])
local tokens = tonumber(ARGV[6])
for i = 1, nclaims do
  local kind, a, b, c, d = claim(i)
  if kind == 'r' then
    local taken = 0
    if mode == 'release' then taken = c elseif d == 't' then taken = c - tokens end
    local stored = stored_tat(i)
    if stored and taken ~= 0 then
      set_tat(i, fmt(stored - taken * (b / a)), 'KEEPTTL')
    end
  elseif kind == 'c' then
    redis.call('ZREM', key[i], id)
  elseif redis.call('EXISTS', key[i]) == 1 then
    settle_expired(i)
    local v = redis.call('HMGET', key[i], 'r:' .. id, 'reserved')
    if v[1] then
      local reserved = tonumber(v[2])
      redis.call('HSET', key[i], 'reserved', fmt(math.max(0, reserved - c)))
      if mode == 'settle' then redis.call('HINCRBYFLOAT', key[i], 'spent', fmt(cost)) end
      redis.call('HDEL', key[i], 'r:' .. id)
      redis.call('ZREM', leases[i], id)
    end
  end
end
local out = {}
for i = 1, nclaims do out[i] = raw(i) end
return out
`;

/** Raw values of the claims' counters, changing nothing. */
export const READ = `${PRELUDE}
return all_raw()
`;

/** KEYS: the budget key. ARGV: spentNano, resetAt, now, lease. Sets it only when it has no state. */
export const SEED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local reset_at, now, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'spent', ARGV[1], 'reserved', '0', 'resetAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(reset_at - now, 0) + 2 * lease))
return 1
`;
