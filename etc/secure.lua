-- The one decision etc/secure.cfg leaves to Lua: is this request from a scanner or a
-- blocked address? Runs with lua_sandbox = 1 (no shell, no files, no native code), so the
-- lists live here: edit them and reload with `opensips-cli -x mi lua_reload`.
--
-- lua_exec("screen") is false (the cfg drops the request, no answer) when the function
-- returns -1, and also when it fails: a broken blocklist drops requests rather than letting
-- everything through. (A file that does not load at all is refused by lua_reload, and the
-- running code stays.)

-- Source addresses that never get an answer (exact matches).
local blocked_ips = {
  ["192.0.2.66"] = true,   -- documentation address: an example entry
}

-- User-Agent patterns of well-known SIP scanners (Lua patterns, matched case-insensitively).
local scanner_agents = {
  "friendly%-scanner",
  "sipvicious",
  "sipcli",
  "sip%-scan",
  "sundayddr",
  "iwar",
  "vaxasip",
}

-- lua_exec("screen"): -1 for a request to drop, 1 for one to go on.
function screen(msg)
  local ip = getSrcIp(msg)
  if ip and blocked_ips[ip] then
    xlog("L_NOTICE", "blocked address " .. ip .. "\n")
    return -1
  end
  local ua = getHeader(msg, "User-Agent")
  if ua then
    ua = ua:lower()
    for _, pattern in ipairs(scanner_agents) do
      if ua:find(pattern) then
        xlog("L_NOTICE", "scanner '" .. ua .. "' from " .. (ip or "?") .. " dropped\n")
        return -1
      end
    end
  end
  return 1
end
