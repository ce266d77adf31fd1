-- Lua handlers of the side-by-side benchmark (bench/siplua/lua.cfg calls them with
-- lua_exec("handle_...")). Same logic as the Kamailio peer's peer.lua, written against the
-- OpenSIPS lua module API: the work is done by cfg functions called through moduleFunc.

-- OPTIONS: stateless 200
function handle_options(msg)
  moduleFunc(msg, "sl_send_reply", "200", "OK")
end

-- REGISTER: save into in-memory usrloc; the registrar sends the 200 (with the Contact list)
function handle_register(msg)
  if moduleFunc(msg, "save", "location") < 0 then
    moduleFunc(msg, "sl_reply_error")
  end
end

-- initial INVITE: record-route, location lookup, stateful relay
function handle_invite(msg)
  moduleFunc(msg, "record_route")
  if moduleFunc(msg, "lookup", "location") < 0 then
    moduleFunc(msg, "sl_send_reply", "404", "Not Found")
    return
  end
  if moduleFunc(msg, "t_relay") < 0 then
    moduleFunc(msg, "sl_reply_error")
  end
end

-- requests with a To-tag (ACK/BYE/re-INVITE inside a record-routed dialog)
function handle_indialog(msg)
  if moduleFunc(msg, "loose_route") > 0 then
    if moduleFunc(msg, "t_relay") < 0 then
      moduleFunc(msg, "sl_reply_error")
    end
    return
  end
  if getMethod(msg) == "ACK" then
    if moduleFunc(msg, "t_check_trans") > 0 then
      moduleFunc(msg, "t_relay")
    end
    return
  end
  moduleFunc(msg, "sl_send_reply", "404", "Not here")
end

function handle_cancel(msg)
  if moduleFunc(msg, "t_check_trans") > 0 then
    moduleFunc(msg, "t_relay")
  end
end
