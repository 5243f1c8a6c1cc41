-- Plays golden vectors through libhearth from LuaJIT (the runtime Defold uses) via ffi.cdef,
-- checking every step's hash, and tries bad input. The declarations come from the real header
-- (include/hearth.h), so this script breaks if the header and the library part ways.
-- Usage: luajit play_vectors.lua HEADER LIBRARY FLAT_VECTORS
local ffi = require("ffi")

local header_path, library_path, flat_path = arg[1], arg[2], arg[3]
assert(header_path and library_path and flat_path, "usage: play_vectors.lua HEADER LIBRARY FLAT_VECTORS")

-- ffi.cdef takes declarations only: drop preprocessor lines (keeping the constants) and the
-- C++ `extern "C"` wrapper.
local K, decls, in_cpp = {}, {}, false
for line in io.lines(header_path) do
  if line:match("^#ifdef __cplusplus") then
    in_cpp = true
  elseif in_cpp then
    if line:match("^#endif") then in_cpp = false end
  else
    local name, value = line:match("^#define%s+(HEARTH_[%w_]+)%s+%(?(%-?%d+)%)?")
    if name then
      K[name] = tonumber(value)
    elseif not line:match("^#") then
      decls[#decls + 1] = line
    end
  end
end
ffi.cdef(table.concat(decls, "\n"))
local H = ffi.load(library_path)

local failures = 0
local function check(cond, what)
  if not cond then
    failures = failures + 1
    io.stderr:write(string.format("FAIL %s [last error: %s: %s]\n", what,
      ffi.string(H.hearth_last_error_code()), ffi.string(H.hearth_last_error())))
  end
end

local function hex64(s)
  local v = 0ULL
  for i = 1, #s do v = v * 16 + tonumber(s:sub(i, i), 16) end
  return v
end

local function unhex(s)
  local out = {}
  for i = 1, #s, 2 do out[#out + 1] = string.char(tonumber(s:sub(i, i + 1), 16)) end
  return table.concat(out)
end

local function hash(session)
  local h = ffi.new("uint64_t[1]")
  if H.hearth_hash(session, h) ~= K.HEARTH_OK then return nil end
  return h[0]
end

local function new_session(game, config, seats, seed)
  local out = ffi.new("uint64_t[1]")
  local status = H.hearth_session_new(game, config, seats, seed, out)
  return status, out[0]
end

-- Takes a library buffer's contents as a Lua string and frees it.
local function take(buf)
  local s = ffi.string(buf.data, buf.len)
  check(H.hearth_free(buf.data) == K.HEARTH_OK, "free")
  return s
end

local function split(line)
  local f = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = field end
  return f
end

local v, vectors, steps = nil, 0, 0
for line in io.lines(flat_path) do
  local f = split(line)
  local op = f[1]
  if op == "vector" then
    v = { name = f[2] }
  elseif op == "game" then
    v.game = f[2]
  elseif op == "seats" then
    v.seats = tonumber(f[2])
  elseif op == "seed" then
    v.seed = ffi.new("uint64_t", 0ULL)
    for i = 1, #f[2] do v.seed = v.seed * 10 + tonumber(f[2]:sub(i, i)) end
  elseif op == "config" then
    v.config = f[2]
  elseif op == "initial" then
    local s1, a = new_session(v.game, v.config, v.seats, v.seed)
    local s2, b = new_session(v.game, v.config, v.seats, v.seed)
    check(s1 == K.HEARTH_OK and s2 == K.HEARTH_OK, v.name .. ": create")
    v.json, v.postcard, v.steps = a, b, 0
    check(hash(a) == hex64(f[2]), v.name .. ": initial hash")
  elseif op == "apply" then
    local seat, err, want_hash, postcard, action = tonumber(f[2]), f[3], hex64(f[4]), f[5], f[6]
    local want = err == "-" and K.HEARTH_OK or K.HEARTH_REJECTED
    local events = ffi.new("HearthBuf[1]")
    local got = H.hearth_apply(v.json, seat, action, #action, K.HEARTH_JSON, events)
    check(got == want, string.format("%s step %d: apply %s gave %d, want %d", v.name, v.steps, action, got, want))
    if want == K.HEARTH_REJECTED then
      check(ffi.string(H.hearth_last_error_code()) == err, v.name .. ": refusal code " .. err)
    else
      check(take(events[0]):sub(1, 1) == "[", v.name .. ": events are a JSON list")
    end
    if postcard ~= "-" then
      local bytes = unhex(postcard)
      got = H.hearth_apply(v.postcard, seat, bytes, #bytes, K.HEARTH_POSTCARD, nil)
    else
      got = H.hearth_apply(v.postcard, seat, action, #action, K.HEARTH_JSON, nil)
    end
    check(got == want, v.name .. ": postcard apply")
    check(hash(v.json) == want_hash and hash(v.postcard) == want_hash,
      string.format("%s step %d: hash", v.name, v.steps))
    local view = ffi.new("HearthBuf[1]")
    check(H.hearth_view(v.json, K.HEARTH_SPECTATOR, K.HEARTH_JSON, view) == K.HEARTH_OK, "view")
    take(view[0])
    v.steps = v.steps + 1
  elseif op == "tick" then
    check(H.hearth_tick(v.json, K.HEARTH_JSON, nil) == K.HEARTH_OK, v.name .. ": tick")
    check(H.hearth_tick(v.postcard, K.HEARTH_POSTCARD, nil) == K.HEARTH_OK, v.name .. ": tick")
    local want_hash = hex64(f[2])
    check(hash(v.json) == want_hash and hash(v.postcard) == want_hash,
      string.format("%s step %d: tick hash", v.name, v.steps))
    v.steps = v.steps + 1
  elseif op == "outcome" then
    local buf = ffi.new("HearthBuf[1]")
    check(H.hearth_outcome(v.json, buf) == K.HEARTH_OK, "outcome")
    local outcome = take(buf[0])
    check(outcome == f[2], v.name .. ": outcome " .. outcome .. ", want " .. f[2])
    check(H.hearth_session_free(v.json) == K.HEARTH_OK, "free session")
    check(H.hearth_session_free(v.postcard) == K.HEARTH_OK, "free session")
    vectors, steps = vectors + 1, steps + v.steps
  else
    error("unreadable line: " .. line)
  end
end

-- Bad input: an error code and a message, never a crash.
local status, s = new_session("connect-four", nil, 2, 1)
check(status == K.HEARTH_OK, "create")
check(new_session("no-such-game", nil, 2, 1) == K.HEARTH_ERR_INVALID, "unknown game")
check(#ffi.string(H.hearth_last_error()) > 0, "unknown game says why")
check(new_session("\255\254", nil, 2, 1) == K.HEARTH_ERR_UTF8, "invalid UTF-8")
local bad = "{\"column\":"
check(H.hearth_apply(s, 0, bad, #bad, K.HEARTH_JSON, nil) == K.HEARTH_REJECTED, "malformed JSON")
check(ffi.string(H.hearth_last_error_code()) == "decode", "malformed JSON is decode")
check(H.hearth_apply(s, 9, "{\"column\":1}", 12, K.HEARTH_JSON, nil) == K.HEARTH_REJECTED, "wrong seat")
check(H.hearth_session_free(s) == K.HEARTH_OK, "free")
check(H.hearth_session_free(s) == K.HEARTH_ERR_BAD_HANDLE, "double free")
check(H.hearth_apply(s, 0, "{\"column\":1}", 12, K.HEARTH_JSON, nil) == K.HEARTH_ERR_BAD_HANDLE, "use after free")
local games = ffi.new("HearthBuf[1]")
check(H.hearth_games(games) == K.HEARTH_OK, "games")
check(H.hearth_free(games[0].data) == K.HEARTH_OK, "free")
check(H.hearth_free(games[0].data) == K.HEARTH_ERR_BAD_BUFFER, "double free of a buffer")

local live_sessions, live_buffers = ffi.new("uint64_t[1]"), ffi.new("uint64_t[1]")
check(H.hearth_live(live_sessions, live_buffers) == K.HEARTH_OK, "live")
check(live_sessions[0] == 0 and live_buffers[0] == 0, "everything handed out was freed")

print(string.format("LuaJIT: %d vectors, %d steps, %d failures", vectors, steps, failures))
os.exit(failures == 0 and vectors > 0 and 0 or 1)
