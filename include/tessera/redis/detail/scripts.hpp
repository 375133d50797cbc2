// tessera — redis/detail/scripts.hpp: the Lua scripts of `store::redis` (redis/store.hpp).
//
// Every operation that reads and changes state, or changes more than one key, is one script:
// Redis runs a script alone, so it is atomic across every client of the server. The scripts
// are constant text (cached by the server under their SHA-1, run with EVALSHA); what varies is
// passed in KEYS and ARGV. Every script's last three ARGV are the key prefix, the TTL floor
// and the TTL slack (see redis/store.hpp), read by the prelude.
//
// Times travel as "<seconds>:<nanoseconds>" (seconds since the Unix epoch, floored; 0 ≤ ns <
// 10^9): Lua 5.1 numbers are doubles, exact to 2^53, so a nanosecond count (≈1.7e18) would
// lose precision, while each half is exact. `lt` compares two such strings.
//
// Key layout under the prefix P (every record key is a hash with its expiry in field `x`):
//   P c:<hash>       code            r=record, x, u=1 once consumed
//   P r:<hash>       refresh token   r=grant, x, f=family, ra=rotated at, g=grace uses
//   P a:<jti>        access token    r=record, x, f=family, v=1 when revoked
//   P f:<family>     revoked family  x=until
//   P h:<family>     family horizon  x=the latest expiry of any refresh/access record of it
//   P j:<key>        one-time id     x
//   P e:<hash>       session         r=record, x
//   P s:<subject>    consents        field client id → "<x>;<record>"
//   P d:<hash>       device          r=static record, x, cl=client, u=user code hash,
//                                    i=interval (s), lp=last poll, st=state, g=grant
//   P u:<user hash>  user code       d=device hash, x
//   P da:            live devices    field device hash → "<x>;<len(client)>;<client><requester>"
//   P dc:<client>    per client      field device hash → x
//   P dq:<requester> per requester   field device hash → x
//   P ds:            last device sweep at a cap (a string)
//   P dp:            last periodic device sweep (a string)
// Keys derived inside a script from stored values (a record's family, a user code's device,
// the device indexes) are not in KEYS: on Redis Cluster they are reachable only if the prefix
// has a hash tag, e.g. "{tessera}:", which puts every key of the store in one slot.
#ifndef TESSERA_REDIS_DETAIL_SCRIPTS_HPP
#define TESSERA_REDIS_DETAIL_SCRIPTS_HPP

#include <string>
#include <string_view>

namespace tessera::store::detail::redis_lua {

inline constexpr std::string_view prelude = R"lua(
local NA = #ARGV
local P, FLOOR, SLACK = ARGV[NA - 2], tonumber(ARGV[NA - 1]), tonumber(ARGV[NA])
local MAXTTL = 100000000000000
local EPOCH = '0:0'
local function T(v)
  local s, n = string.match(v, '^(%-?%d+):(%d+)$')
  if not s then error('tessera: malformed time') end
  return tonumber(s), tonumber(n)
end
-- a < b
local function lt(a, b)
  local as, an = T(a)
  local bs, bn = T(b)
  return as < bs or (as == bs and an < bn)
end
-- a < b + secs
local function lt_plus(a, b, secs)
  local as, an = T(a)
  local bs, bn = T(b)
  bs = bs + secs
  return as < bs or (as == bs and an < bn)
end
-- milliseconds from ref to x, rounded up; FLOOR when x is not after ref
local function ttl(x, ref)
  local xs, xn = T(x)
  local rs, rn = T(ref)
  local ms = (xs - rs) * 1000 + math.ceil((xn - rn) / 1000000)
  if ms <= 0 then return FLOOR end
  if ms > MAXTTL then ms = MAXTTL end
  return ms + SLACK
end
-- makes a key live at least ms more (a fresh key without TTL gets one)
local function extend(k, ms)
  local cur = redis.call('PTTL', k)
  if cur == -1 or (cur >= 0 and cur < ms) then redis.call('PEXPIRE', k, ms) end
end
-- raises a family's horizon to x
local function horizon(fam, x, ref)
  if fam == '' then return end
  local k = P .. 'h:' .. fam
  local h = redis.call('HGET', k, 'x')
  if not h or lt(h, x) then
    redis.call('HSET', k, 'x', x)
    redis.call('PEXPIRE', k, ttl(x, ref))
  end
end
-- revokes a family until `until` (kept if already later)
local function revoke_until(fam, untl, ref)
  if fam == '' then return end
  local k = P .. 'f:' .. fam
  local x = redis.call('HGET', k, 'x')
  if not x or lt(x, untl) then
    redis.call('HSET', k, 'x', untl)
    redis.call('PEXPIRE', k, ttl(untl, ref))
  end
end
-- revokes a family for as long as any of its tokens lives
local function kill_family(fam, ref)
  if fam == '' then return end
  revoke_until(fam, redis.call('HGET', P .. 'h:' .. fam, 'x') or EPOCH, ref)
end
local function family_revoked(fam)
  return fam and fam ~= '' and redis.call('EXISTS', P .. 'f:' .. fam) == 1
end
-- forgets a device authorization and its index entries
local function remove_device(h)
  local dk = P .. 'd:' .. h
  local e = redis.call('HGET', P .. 'da:', h)
  if e then
    local a = string.find(e, ';', 1, true)
    local b = string.find(e, ';', a + 1, true)
    local cl = tonumber(string.sub(e, a + 1, b - 1))
    local client = string.sub(e, b + 1, b + cl)
    local requester = string.sub(e, b + cl + 1)
    redis.call('HDEL', P .. 'da:', h)
    redis.call('HDEL', P .. 'dc:' .. client, h)
    if requester ~= '' then redis.call('HDEL', P .. 'dq:' .. requester, h) end
  end
  local u = redis.call('HGET', dk, 'u')
  if u then
    local uk = P .. 'u:' .. u
    if redis.call('HGET', uk, 'd') == h then redis.call('DEL', uk) end
  end
  redis.call('DEL', dk)
end
-- forgets every device authorization expired at now
local function sweep_devices(now)
  local all = redis.call('HGETALL', P .. 'da:')
  for i = 1, #all, 2 do
    local e = all[i + 1]
    local x = string.sub(e, 1, string.find(e, ';', 1, true) - 1)
    if not lt(now, x) then remove_device(all[i]) end
  end
end
local function sweep_hash(k, now, sep)
  local all = redis.call('HGETALL', k)
  for i = 1, #all, 2 do
    local v = all[i + 1]
    local x = v
    if sep then x = string.sub(v, 1, string.find(v, sep, 1, true) - 1) end
    if not lt(now, x) then redis.call('HDEL', k, all[i]) end
  end
end
)lua";

// KEYS: record [, nothing]   ARGV: record, x, ttl, family, ref
// A revoked access token stays revoked (and denied at least as long as before) when recorded
// again; a record of a family revoked already extends the revocation to its own expiry, so the
// revocation cannot lapse while the record lives.
inline constexpr std::string_view put_record = R"lua(
local was, oldx = unpack(redis.call('HMGET', KEYS[1], 'v', 'x'))
redis.call('DEL', KEYS[1])
local x = ARGV[2]
if was and oldx and lt(x, oldx) then x = oldx end
redis.call('HSET', KEYS[1], 'r', ARGV[1], 'x', x, 'f', ARGV[4])
if was then
  redis.call('HSET', KEYS[1], 'v', '1')
  redis.call('PEXPIRE', KEYS[1], ttl(x, ARGV[5]))
else
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
horizon(ARGV[4], ARGV[2], ARGV[5])
if family_revoked(ARGV[4]) then revoke_until(ARGV[4], ARGV[2], ARGV[5]) end
return 1
)lua";

// KEYS: code   ARGV: now   → {0} unknown | {1, r} ok | {2, r} expired | {3, r} replayed
inline constexpr std::string_view consume_code = R"lua(
local v = redis.call('HMGET', KEYS[1], 'r', 'x', 'u')
if not v[1] or not v[2] then return {0} end
if not lt(ARGV[1], v[2]) then return {2, v[1]} end
if v[3] then return {3, v[1]} end
redis.call('HSET', KEYS[1], 'u', '1')
return {1, v[1]}
)lua";

// KEYS: (none)   ARGV: family, until, ref
inline constexpr std::string_view revoke_family = R"lua(
local untl = ARGV[2]
local h = redis.call('HGET', P .. 'h:' .. ARGV[1], 'x')
if h and lt(untl, h) then untl = h end
revoke_until(ARGV[1], untl, ARGV[3])
return 1
)lua";

// KEYS: access   ARGV: until, ref
inline constexpr std::string_view revoke_access = R"lua(
local k = KEYS[1]
local x = redis.call('HGET', k, 'x')
local nx = ARGV[1]
if x then
  if not lt(x, nx) then nx = x end
else
  if lt(nx, EPOCH) then nx = EPOCH end
  redis.call('HSET', k, 'f', '')
end
redis.call('HSET', k, 'v', '1', 'x', nx)
redis.call('PEXPIRE', k, ttl(nx, ARGV[2]))
horizon(redis.call('HGET', k, 'f') or '', nx, ARGV[2])
return 1
)lua";

// KEYS: access   ARGV: family named by the caller   → 0 | 1
inline constexpr std::string_view access_revoked = R"lua(
if family_revoked(ARGV[1]) then return 1 end
local v = redis.call('HMGET', KEYS[1], 'x', 'v', 'f')
if not v[1] then return 0 end
if v[2] or family_revoked(v[3]) then return 1 end
return 0
)lua";

// KEYS: access   → record | nil
inline constexpr std::string_view find_access = R"lua(
local v = redis.call('HMGET', KEYS[1], 'r', 'x', 'v', 'f')
if not v[1] or not v[2] or v[3] or family_revoked(v[4]) then return false end
return v[1]
)lua";

// KEYS: old, new   ARGV: now, new x, new ttl, grace window (s), grace uses
//   → {0} unknown | {1, grant, x} ok | {2, ...} expired | {3, ...} revoked | {4, ...} reused
inline constexpr std::string_view rotate_refresh = R"lua(
local now = ARGV[1]
local v = redis.call('HMGET', KEYS[1], 'r', 'x', 'f', 'ra', 'g')
if not v[1] or not v[2] then return {0} end
local fam = v[3] or ''
if family_revoked(fam) then return {3, v[1], v[2]} end
if not lt(now, v[2]) then return {2, v[1], v[2]} end
if v[4] then
  local window = tonumber(ARGV[4])
  local uses = tonumber(v[5] or '0')
  local in_grace = window > 0 and not lt_plus(v[4], now, -window) and uses < tonumber(ARGV[5])
  if not in_grace then
    kill_family(fam, now)
    return {4, v[1], v[2]}
  end
  redis.call('HSET', KEYS[1], 'g', uses + 1)
else
  redis.call('HSET', KEYS[1], 'ra', now)
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'r', v[1], 'x', ARGV[2], 'f', fam)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
horizon(fam, ARGV[2], now)
return {1, v[1], v[2]}
)lua";

// KEYS: refresh   ARGV: now   → {grant, x} | nil
inline constexpr std::string_view find_refresh = R"lua(
local v = redis.call('HMGET', KEYS[1], 'r', 'x', 'f', 'ra')
if not v[1] or not v[2] or v[4] or not lt(ARGV[1], v[2]) or family_revoked(v[3]) then return false end
return {v[1], v[2]}
)lua";

// KEYS: refresh   ARGV: ref   → 0 | 1
inline constexpr std::string_view revoke_refresh = R"lua(
local v = redis.call('HMGET', KEYS[1], 'x', 'f')
if not v[1] then return 0 end
kill_family(v[2] or '', ARGV[1])
return 1
)lua";

// KEYS: d:h, u:user, da:, dc:client, dq:requester, ds:
// ARGV: now, h, record, x, ttl, client, requester, user hash, interval, last poll, state, grant,
//       cap total, cap per client, cap per address
//   → 0 ok | 1 user_code_taken | 2 client_full | 3 address_full | 4 store_full
inline constexpr std::string_view put_device = R"lua(
local now = ARGV[1]
local mapped = redis.call('HGET', KEYS[2], 'd')
if mapped then
  local dx = redis.call('HGET', P .. 'd:' .. mapped, 'x')
  if dx and lt(now, dx) then return 1 end
  remove_device(mapped)
  redis.call('DEL', KEYS[2])
end
-- Authorizations that expire uncollected leave index entries behind: forget them at most once a
-- minute of store time, so the indexes stay bounded by what is live without any sweep() call.
local periodic = P .. 'dp:'
if not lt_plus(now, redis.call('GET', periodic) or EPOCH, 60) then
  redis.call('SET', periodic, now, 'PX', 86400000)
  sweep_devices(now)
end
local total, per_client, per_address = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local function admission()
  if total > 0 and redis.call('HLEN', KEYS[3]) >= total then return 4 end
  if per_client > 0 and redis.call('HLEN', KEYS[4]) >= per_client then return 2 end
  if per_address > 0 and ARGV[7] ~= '' and redis.call('HLEN', KEYS[5]) >= per_address then return 3 end
  return 0
end
local status = admission()
if status ~= 0 then
  local last = redis.call('GET', KEYS[6]) or EPOCH
  if not lt_plus(now, last, 1) then
    redis.call('SET', KEYS[6], now, 'PX', 86400000)
    sweep_devices(now)
    status = admission()
  end
end
if status ~= 0 then return status end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 then remove_device(ARGV[2]) end
redis.call('HSET', KEYS[1], 'r', ARGV[3], 'x', ARGV[4], 'cl', ARGV[6], 'u', ARGV[8], 'i', ARGV[9], 'lp', ARGV[10],
           'st', ARGV[11], 'g', ARGV[12])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('HSET', KEYS[2], 'd', ARGV[2], 'x', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4] .. ';' .. #ARGV[6] .. ';' .. ARGV[6] .. ARGV[7])
extend(KEYS[3], tonumber(ARGV[5]))
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
extend(KEYS[4], tonumber(ARGV[5]))
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[5], ARGV[2], ARGV[4])
  extend(KEYS[5], tonumber(ARGV[5]))
end
return 0
)lua";

// KEYS: u:user   ARGV: now   → {record, interval, last poll, state, grant} | nil
inline constexpr std::string_view find_device = R"lua(
local h = redis.call('HGET', KEYS[1], 'd')
if not h then return false end
local v = redis.call('HMGET', P .. 'd:' .. h, 'r', 'x', 'i', 'lp', 'st', 'g')
if not v[1] or not v[2] or v[5] ~= '0' or not lt(ARGV[1], v[2]) then return false end
return {v[1], v[3], v[4], v[5], v[6]}
)lua";

// KEYS: u:user   ARGV: now, approved (1|0), grant   → 0 | 1
inline constexpr std::string_view decide_device = R"lua(
local h = redis.call('HGET', KEYS[1], 'd')
if not h then return 0 end
local dk = P .. 'd:' .. h
local v = redis.call('HMGET', dk, 'x', 'st')
if not v[1] or v[2] ~= '0' or not lt(ARGV[1], v[1]) then return 0 end
if ARGV[2] == '1' then
  redis.call('HSET', dk, 'st', '1', 'g', ARGV[3])
else
  redis.call('HSET', dk, 'st', '2')
end
return 1
)lua";

// KEYS: d:h   ARGV: now, client, h
//   → {status[, record, interval, last poll, state, grant]}, status as poll_status:
//     0 approved, 1 pending, 2 slow_down, 3 denied, 4 expired, 5 unknown
inline constexpr std::string_view poll_device = R"lua(
local now = ARGV[1]
local v = redis.call('HMGET', KEYS[1], 'r', 'x', 'cl', 'i', 'lp', 'st', 'g')
if not v[1] or not v[2] or v[3] ~= ARGV[2] then return {5} end
local function gone(status)
  remove_device(ARGV[3])
  return {status, v[1], v[4], v[5], v[6], v[7]}
end
if not lt(now, v[2]) then return gone(4) end
local interval = tonumber(v[4])
if v[5] ~= EPOCH and lt_plus(now, v[5], interval) then
  redis.call('HSET', KEYS[1], 'i', interval + 5, 'lp', now)
  return {2}
end
redis.call('HSET', KEYS[1], 'lp', now)
v[5] = now
if v[6] == '0' then return {1} end
if v[6] == '2' then return gone(3) end
return gone(0)
)lua";

// KEYS: j:key   ARGV: x, now, ttl   → 0 | 1
inline constexpr std::string_view use_once = R"lua(
local cur = redis.call('HGET', KEYS[1], 'x')
if cur and lt(ARGV[2], cur) then return 0 end
redis.call('HSET', KEYS[1], 'x', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)lua";

// KEYS: s:subject   ARGV: client id, "<x>;<record>", ttl
inline constexpr std::string_view put_consent = R"lua(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
extend(KEYS[1], tonumber(ARGV[3]))
return 1
)lua";

// KEYS: keys of this store (from SCAN)   ARGV: now   → number of keys looked at
inline constexpr std::string_view sweep = R"lua(
local now = ARGV[1]
local plen = #P
for _, k in ipairs(KEYS) do
  if string.sub(k, 1, plen) == P then
    local rest = string.sub(k, plen + 1)
    local c = string.find(rest, ':', 1, true)
    if c then
      local kind = string.sub(rest, 1, c - 1)
      local id = string.sub(rest, c + 1)
      if kind == 's' then
        sweep_hash(k, now, ';')
      elseif kind == 'da' then
        sweep_devices(now)
      elseif kind == 'dc' or kind == 'dq' then
        sweep_hash(k, now, nil)
      elseif kind == 'd' then
        local x = redis.call('HGET', k, 'x')
        if x and not lt(now, x) then remove_device(id) end
      elseif kind == 'c' or kind == 'r' or kind == 'a' or kind == 'f' or kind == 'h' or kind == 'j' or kind == 'e' or
             kind == 'u' then
        local x = redis.call('HGET', k, 'x')
        if x and not lt(now, x) then redis.call('DEL', k) end
      end
    end
  end
end
return #KEYS
)lua";

}  // namespace tessera::store::detail::redis_lua

#endif
