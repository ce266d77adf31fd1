-- siplua example Lua script (the OpenSIPS `lua` module API).
--
-- Loaded by modparam("lua", "luafilename", ".../opensips.lua"); each worker runs this file
-- once at start (and again when lua_auto_reload is on and the file changes). Functions are
-- called from the cfg with lua_exec("name"[, "param"]): a negative return value makes
-- lua_exec false, anything else (nil included) true.

-- Top-level code: runs once per worker.
local started = datetime_now()
answered = 0

-- lua_exec("on_options"): adds the headers of the answer to an OPTIONS keep-alive.
function on_options(msg)
  answered = answered + 1
  add_lump_rpl(msg, "Allow: OPTIONS\r\n")
  add_lump_rpl(msg, "X-Lua: siplua " .. _VERSION .. ", up since " .. started:str()
    .. " UTC, " .. answered .. " answered by this worker\r\n")
  xdbg("OPTIONS from " .. (getSrcIp(msg) or "?") .. "\n")
  return 1
end

-- lua_exec("log_request"): one line per request, with what OpenSIPS scripts usually want.
function log_request(msg)
  local ua = getHeader(msg, "User-Agent") or "-"
  xlog("L_INFO", pseudoVar(msg, "$rm $ru from $si:$sp") .. " ua=" .. ua .. "\n")
end

-- lua_exec("screen"): refuses well-known scanners; false tells the cfg to stop.
function screen(msg)
  local ua = getHeader(msg, "User-Agent")
  if ua and (ua:find("friendly%-scanner") or ua:find("sipvicious")) then
    moduleFunc(msg, "sl_send_reply", "403", "Forbidden")
    return -1
  end
  return 1
end
