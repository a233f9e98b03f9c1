/**
 * The Lua script behind the Redis counters. Every operation (reserve, settle, release, read) runs
 * inside one script, so Redis runs it atomically: no other request's reservation can interleave
 * between checking a limit and taking it. The operations of one turn of the gateway's event loop go
 * together in one call of the script (BATCH), each still applied whole, in order, and answered on
 * its own: a script error in one (a key of the wrong type, say) fails that one alone. The call reads
 * each rate and budget counter at most once and writes each once at its end, whatever the number of
 * operations on it: under load the operations of one call mostly share one hot key's counters.
 *
 * KEYS, per operation in order, per claim in order: the counter's key and, for budgets only, the
 * key of its reservations' deadlines (`<counter>:leases`). Both derive from the caller's counter
 * name, which carries a hash tag such as `{prj_x}`; the caller batches only operations of one hash
 * tag, so all keys of one call live in one Redis Cluster slot.
 * ARGV, one per operation: a string of space-separated values (building a command costs the caller
 * per argument, several times what splitting one costs Redis): now, reservation id, mode
 * (reserve|settle|release|read), actual cost nano and actual tokens (settle), the lease deadline
 * (now + lease, rounded up to a whole ms), then two per claim: its description and its amount
 * (rate: requests or tokens; budget: nano-USD held; concurrency: 0). A description holds what does
 * not change from request to request, separated by colons, so that a call parses it once however
 * many of its operations name it: `r:limit:windowMs:unit` (unit t|r), `c:limit:slotTtl`,
 * `b:limitNano:hard:resetAt:twoLeases` (hard 1|0; a slot's and a budget's time to live past its
 * reset are two leases, in whole ms).
 *
 * Numbers cross the boundary as text that round-trips every double exactly (Redis's own conversions
 * keep only 14 digits, too few for a ms timestamp with a fraction). The caller formats everything it
 * can compute itself; a script formats only values it derives from stored state, and hands back the
 * text it read or wrote rather than formatting again: formatting a double exactly (%.17g) costs
 * Redis more than most commands do. The arithmetic is the same, in the same order, as the in-memory
 * counters'.
 *
 * Storage: a rate counter is a string holding its GCRA theoretical arrival time; a concurrency
 * counter is a sorted set of reservation ids scored by their lease deadline; a budget is a hash
 * (spent, reserved, resetAt, and `r:<id>` = amount held per reservation) plus the leases sorted set.
 * A reservation whose lease passed belongs to an instance that died: the next script touching that
 * budget settles it at its reserved amount (spend is never under-counted) and frees its slot.
 *
 * Replies, one text per operation: '+' and values separated by spaces, or '-' and an error. Each
 * claim's counter is given as a rate's arrival time, a concurrency counter's slots in use, or a
 * budget's `spent:reserved`; the caller adds the two, in doubles as the in-memory counters do.
 */
const HELPERS = `
local HEAD, STRIDE = 6, 2
-- The operation being run. The helpers below are defined once per call and see each operation's
-- values through these, which the loop at the end assigns before running it.
local A, now_text, now, id, deadline, nclaims, key, leases, parsed
-- The rate and budget counters and budget leases of the whole call, kept across its operations:
-- each is read from Redis at most once per call, changed here, and written once when the call ends
-- (flush). Operations of one call name the same few counters (one hot key's limits), and a command
-- a script runs costs Redis several times the arithmetic it replaces.
--   tats[k]      a rate's stored TAT: {text, number}, or false when it has none
--   tat_px[k]    how a changed TAT is written: the PX (ms) of the latest reserve, or 'KEEPTTL'
--   budgets[k]   a budget's {spent text, reserved text, spent, reserved}, or false when unseeded
--   fields[k]    a budget's changed hold fields: field -> amount text, or false to delete it
--   adds[lk]     leases taken in this call: reservation id -> deadline text
--   lowest[lk]   the earliest deadline among a budget's stored leases, or at most that (nil: unknown)
--   ttls[k]      the latest expiry (ms) set on a budget or its leases
--   descs[d]     each claim description, parsed
--   order        the keys changed, in the order first changed
local tats, tat_px, budgets, fields, adds, lowest, ttls, descs, order = {}, {}, {}, {}, {}, {}, {}, {}, {}
local changed = {}
local format, floor = string.format, math.floor
local function touch(k)
  if not changed[k] then changed[k] = true; order[#order + 1] = k end
end
-- %.17g is glibc's slowest path; a whole number below 1e15 prints the same digits with %d, faster.
-- Zero stays with %.17g, which keeps the sign of -0 as the in-memory counters do.
local function fmt(x)
  if x ~= 0 and x == floor(x) and x > -1e15 and x < 1e15 then return format('%d', x) end
  return format('%.17g', x)
end
-- A claim description (see the top of this file) as the values claim() hands out after the kind.
local function describe(d)
  local v = {}
  for x in string.gmatch(d, '[^:]+') do v[#v + 1] = x end
  local kind = v[1]
  if kind == 'r' then return {'r', tonumber(v[2]), tonumber(v[3]), v[4]} end
  if kind == 'c' then return {'c', tonumber(v[2]), v[3]} end
  return {'b', tonumber(v[2]), tonumber(v[3]), tonumber(v[4]), tonumber(v[5])}
end
-- Claim i of the operation: kind, then rate: limit, windowMs, amount, unit; concurrency: limit,
-- slot time to live (text); budget: limitNano, hard, amountNano, resetAt, two leases (ms).
-- Converted once per operation (the loops below ask again and again), descriptions once per call.
local function claim(i)
  local c = parsed[i]
  if c == nil then
    local base = HEAD + (i - 1) * STRIDE
    local d = A[base + 1]
    local desc = descs[d]
    if desc == nil then desc = describe(d); descs[d] = desc end
    c = {desc[1], desc[2], desc[3], tonumber(A[base + 2]), desc[4], desc[5]}
    parsed[i] = c
  end
  return c[1], c[2], c[3], c[4], c[5], c[6]
end
local function amount_text(i) return A[HEAD + i * STRIDE] end
local function budget(i)
  local k = key[i]
  local b = budgets[k]
  if b == nil then
    local v = redis.call('HMGET', k, 'spent', 'reserved')
    if v[1] then b = {v[1], v[2], tonumber(v[1]), tonumber(v[2])} else b = false end
    budgets[k] = b
  end
  return b
end
local function set_budget(i, spent, reserved)
  local k = key[i]
  local b = budget(i)
  local spent_text, reserved_text = b[1], b[2]
  if spent ~= b[3] then spent_text = fmt(spent) end
  if reserved ~= b[4] then reserved_text = fmt(reserved) end
  budgets[k] = {spent_text, reserved_text, spent, reserved}
  touch(k)
end
-- t[k], a table made empty the first time it is asked for.
local function sub(t, k)
  local v = t[k]
  if v == nil then v = {}; t[k] = v end
  return v
end
local function set_field(i, name, value)
  sub(fields, key[i])[name] = value
  touch(key[i])
end
local function field(i, name)
  local f = fields[key[i]]
  local value = f and f[name]
  if value == nil then return redis.call('HGET', key[i], name) end
  return value
end
local function add_lease(i)
  sub(adds, leases[i])[id] = deadline
  touch(leases[i])
end
-- Removes this reservation's lease; true when it held one (its hold is still open). A lease taken
-- in this same call is simply not written.
local function drop_lease(i)
  local a = adds[leases[i]]
  if a and a[id] then
    a[id] = nil
    return true
  end
  return redis.call('ZREM', leases[i], id) == 1
end
-- Settles the holds whose stored lease passed at their reserved amount. Most calls find none: the
-- earliest deadline, read once per call, says so without a scan. (A lease taken in this call runs
-- out no sooner than the lease length after it: the next call finds it if its instance dies.)
local function settle_expired(i)
  local lk = leases[i]
  local low = lowest[lk]
  if low == nil then
    local first = redis.call('ZRANGE', lk, 0, 0, 'WITHSCORES')
    low = first[2] and tonumber(first[2]) or math.huge
    lowest[lk] = low
  end
  if low >= now then return end
  local expired = redis.call('ZRANGEBYSCORE', lk, '-inf', '(' .. now_text)
  redis.call('ZREMRANGEBYSCORE', lk, '-inf', '(' .. now_text)
  for _, rid in ipairs(expired) do
    local b = budget(i)
    local held = tonumber(field(i, 'r:' .. rid) or '0')
    set_budget(i, b[3] + held, math.max(0, b[4] - held))
    set_field(i, 'r:' .. rid, false)
  end
  lowest[lk] = nil
end
local function expire_slots(i)
  redis.call('ZREMRANGEBYSCORE', key[i], '-inf', '(' .. now_text)
end
local function stored_tat(i)
  local k = key[i]
  local t = tats[k]
  if t == nil then
    local stored = redis.call('GET', k)
    if stored then t = {stored, tonumber(stored)} else t = false end
    tats[k] = t
  end
  return t
end
-- px: the key's time to live in ms (a reserve), or nil to keep what it has (a settle or release).
local function set_tat(i, tat, px)
  local k = key[i]
  tats[k] = {fmt(tat), tat}
  if px then tat_px[k] = px elseif tat_px[k] == nil then tat_px[k] = 'KEEPTTL' end
  touch(k)
end
local function tat_of(i)
  local t = stored_tat(i)
  if t and t[2] > now then return t[2], t[1] end
  return now, now_text
end
-- What each claim's counter holds now: rate -> TAT, concurrency -> slots, budget -> {spent, reserved}.
local function raw(i)
  local kind = claim(i)
  if kind == 'r' then
    local _, text = tat_of(i)
    return text
  end
  if kind == 'c' then return redis.call('ZCOUNT', key[i], now_text, '+inf') end
  local b = budget(i)
  if not b then return '0:0' end
  return b[1] .. ':' .. b[2]
end
local function with_raw(out)
  for i = 1, nclaims do out[#out + 1] = raw(i) end
  return out
end
local function keep_budget(i)
  local _, _, _, _, reset_at, two_leases = claim(i)
  local ttl = math.ceil(math.max(reset_at - now, 0)) + two_leases
  ttls[key[i]] = ttl
  ttls[leases[i]] = ttl
end
-- Runs a command on key k with a flat list of values, a thousand at a time: Lua's unpack can pass
-- only a few thousand (an instance that died holding many reservations leaves that many to delete).
local function call_in_pieces(command, k, values)
  for first = 1, #values, 1000 do
    redis.call(command, k, unpack(values, first, math.min(first + 999, #values)))
  end
end
-- Writes what the call changed, each key once. Every key was read (and its type checked) before it
-- was changed, so these commands cannot fail on a key of the wrong type.
local function flush()
  for _, k in ipairs(order) do
    local px = tat_px[k]
    if px == 'KEEPTTL' then
      redis.call('SET', k, tats[k][1], 'KEEPTTL')
    elseif px then
      redis.call('SET', k, tats[k][1], 'PX', fmt(px))
    end
    local b = budgets[k]
    if b then
      local set, gone = {'spent', b[1], 'reserved', b[2]}, {}
      for name, value in pairs(fields[k] or {}) do
        if value then
          set[#set + 1] = name
          set[#set + 1] = value
        else
          gone[#gone + 1] = name
        end
      end
      call_in_pieces('HSET', k, set)
      call_in_pieces('HDEL', k, gone)
    end
    local a = adds[k]
    if a then
      local args = {}
      for rid, lease_deadline in pairs(a) do
        args[#args + 1] = lease_deadline
        args[#args + 1] = rid
      end
      call_in_pieces('ZADD', k, args)
    end
    if ttls[k] then redis.call('PEXPIRE', k, fmt(ttls[k])) end
  end
end
`;

const OPERATIONS = `
-- Returns {'unseeded', claim indexes...} | {'refused', index, retryAfterMs, raw...} | {'ok', raw...}.
local function reserve()
  local unseeded = {'unseeded'}
  for i = 1, nclaims do
    local kind = claim(i)
    if kind == 'b' and not budget(i) then unseeded[#unseeded + 1] = i end
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
      local state = budget(i)
      if state[3] + state[4] + c > a then wait = math.max(1, d - now) end
    end
    if wait > 0 then return with_raw({'refused', i, fmt(wait)}) end
  end
  -- Reservation ids are new for every reservation, so the only amount already held under this one
  -- is what an earlier claim of this operation took (the same budget named twice).
  local held = {}
  for i = 1, nclaims do
    local kind, a, b, c = claim(i)
    if kind == 'r' then
      local tat = tat_of(i) + c * (b / a)
      set_tat(i, tat, math.ceil(tat - now + b) + 1)
    elseif kind == 'c' then
      redis.call('ZADD', key[i], deadline, id)
      redis.call('PEXPIRE', key[i], b)
    else
      local state = budget(i)
      local before = held[key[i]]
      local now_held = before and fmt(before + c) or amount_text(i)
      held[key[i]] = (before or 0) + c
      set_budget(i, state[3], state[4] + c)
      set_field(i, 'r:' .. id, now_held)
      add_lease(i)
      keep_budget(i)
    end
  end
  return with_raw({'ok'})
end

-- Settles (mode 'settle', with the actual cost and tokens) or releases (mode 'release'). A budget
-- reservation already settled by an expired lease is not counted twice. Returns raw values.
local function give_back()
  local mode = A[3]
  local cost = tonumber(A[4])
  local tokens = tonumber(A[5])
  for i = 1, nclaims do
    local kind, a, b, c, d = claim(i)
    if kind == 'r' then
      local taken = 0
      if mode == 'release' then taken = c elseif d == 't' then taken = c - tokens end
      local stored = stored_tat(i)
      if stored and taken ~= 0 then set_tat(i, stored[2] - taken * (b / a)) end
    elseif kind == 'c' then
      redis.call('ZREM', key[i], id)
    elseif budget(i) then
      settle_expired(i)
      if drop_lease(i) then
        local state = budget(i)
        local spent = state[3]
        if mode == 'settle' then spent = spent + cost end
        set_budget(i, spent, math.max(0, state[4] - c))
        set_field(i, 'r:' .. id, false)
      end
    end
  end
  return with_raw({})
end

-- Raw values of the claims' counters, changing nothing.
local function read()
  return with_raw({})
end
`;

/**
 * Runs each operation of ARGV in order and returns, per operation, '+' and its reply's values
 * separated by spaces, or '-' and the error text.
 * An operation that fails keeps whatever it changed before failing, as a script of its own would:
 * those changes are written with the others' when the call ends.
 */
export const BATCH = `${HELPERS}${OPERATIONS}
local replies = {}
local k = 1
for op = 1, #ARGV do
  A = {}
  for value in string.gmatch(ARGV[op], '[^ ]+') do A[#A + 1] = value end
  now_text, id, deadline = A[1], A[2], A[6]
  now = tonumber(now_text)
  nclaims = (#A - HEAD) / STRIDE
  key, leases, parsed = {}, {}, {}
  for i = 1, nclaims do
    key[i] = KEYS[k]; k = k + 1
    if claim(i) == 'b' then leases[i] = KEYS[k]; k = k + 1 end
  end
  local mode = A[3]
  local run = read
  if mode == 'reserve' then run = reserve elseif mode ~= 'read' then run = give_back end
  local ok, reply = pcall(run)
  if ok then
    replies[op] = '+' .. table.concat(reply, ' ')
  else
    -- redis.call raises a table ({err = ...}); Lua's own errors are strings.
    replies[op] = '-' .. (type(reply) == 'table' and reply.err or tostring(reply))
  end
end
flush()
return replies
`;

/** KEYS: the budget key. ARGV: spentNano, resetAt, now, lease. Sets it only when it has no state. */
export const SEED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local reset_at, now, lease = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'spent', ARGV[1], 'reserved', '0', 'resetAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(reset_at - now, 0) + 2 * lease))
return 1
`;
