//! Statements of the script language, end to end: `if / else if / else`, `while` (and its
//! `max_while_loops` bound), `switch/case/default/break`, `for`, assignments, `exit`, `drop`,
//! `return` / `return(n)`, function calls and their return codes, `route(name, args)` with
//! `$param(n)`. Each script reports what it computed in reply headers (`append_to_reply`).

use crate::common;

use common::*;

/// Sends a request for `sip:USER@127.0.0.1` and returns the reply.
fn ask(server: &Server, client: &UdpClient, user: &str) -> String {
    client.ask(
        server,
        &request(
            "OPTIONS",
            &format!("sip:{user}@127.0.0.1"),
            client.port(),
            "",
        ),
    )
}

#[test]
fn if_else_if_else_picks_one_branch() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            if ($rU == "a") {
                $var(r) = "A";
            } else if ($rU == "b") {
                $var(r) = "B";
            } else if ($rU == "c")
                $var(r) = "C";
            else {
                $var(r) = "other";
            }
            if ($rU == "a") $var(single) = "yes"; else $var(single) = "no";
            append_to_reply("X-R: $var(r)\r\nX-Single: $var(single)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    for (user, r, single) in [
        ("a", "A", "yes"),
        ("b", "B", "no"),
        ("c", "C", "no"),
        ("zz", "other", "no"),
    ] {
        let reply = ask(&server, &c, user);
        assert_eq!(header(&reply, "X-R"), Some(r), "{reply}");
        assert_eq!(header(&reply, "X-Single"), Some(single), "{reply}");
    }
}

#[test]
fn while_loops_and_is_bounded_by_max_while_loops() {
    let server = Server::start(&cfg(
        "max_while_loops = 25",
        r#"route {
            $var(i) = 0;
            $var(sum) = 0;
            while ($var(i) < 5) {
                $var(i) += 1;
                $var(sum) = $var(sum) + $var(i);
            }
            $var(n) = 0;
            while (1) {
                $var(n) += 1;
            }
            $var(k) = 0;
            while ($var(k) < 100) {
                $var(k) += 1;
                if ($var(k) == 3) break;
            }
            append_to_reply("X-I: $var(i)\r\nX-Sum: $var(sum)\r\nX-N: $var(n)\r\nX-K: $var(k)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = ask(&server, &c, "w");
    assert_eq!(header(&reply, "X-I"), Some("5"), "{reply}");
    assert_eq!(header(&reply, "X-Sum"), Some("15"), "{reply}");
    assert_eq!(
        header(&reply, "X-N"),
        Some("25"),
        "the endless loop stops after max_while_loops: {reply}"
    );
    assert_eq!(
        header(&reply, "X-K"),
        Some("3"),
        "break leaves the loop: {reply}"
    );
    assert!(
        server.wait_log("stopped after max_while_loops=25 iterations"),
        "{}",
        server.log_text()
    );
}

#[test]
fn switch_case_default_break_and_fall_through() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(out) = "";
            switch ($rU) {
                case "one":
                    $var(out) = $var(out) + "1";
                    break;
                case "two":
                    $var(out) = $var(out) + "2";
                case "three":
                    $var(out) = $var(out) + "3";
                    break;
                case 7:
                    $var(out) = $var(out) + "seven";
                    break;
                default:
                    $var(out) = $var(out) + "d";
            }
            $var(num) = "none";
            switch ($cs) {
                case -1: $var(num) = "neg"; break;
                default: $var(num) = "cseq"; break;
            }
            append_to_reply("X-Out: $var(out)\r\nX-Num: $var(num)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    for (user, out) in [
        ("one", "1"),
        ("two", "23"),
        ("three", "3"),
        ("7", "seven"),
        ("nine", "d"),
    ] {
        let reply = ask(&server, &c, user);
        assert_eq!(header(&reply, "X-Out"), Some(out), "user {user}: {reply}");
        assert_eq!(header(&reply, "X-Num"), Some("cseq"), "{reply}");
    }
}

#[test]
fn for_walks_every_value_of_an_avp() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $avp(list) = "a";
            $avp(list) = "b";
            $avp(list) = "c";
            $var(seen) = "";
            $var(count) = 0;
            for ($var(v) in $(avp(list)[*])) {
                $var(seen) = $var(seen) + $var(v);
                $var(count) += 1;
            }
            $var(hseen) = "";
            for ($var(h) in $(hdr(X-Item)[*])) {
                $var(hseen) = $var(hseen) + "[" + $var(h) + "]";
            }
            append_to_reply("X-Seen: $var(seen)\r\nX-Count: $var(count)\r\nX-HSeen: $var(hseen)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(
        &server,
        &request(
            "OPTIONS",
            "sip:f@127.0.0.1",
            c.port(),
            "X-Item: x\r\nX-Item: y\r\n",
        ),
    );
    // AVPs are read newest first, as in OpenSIPS.
    assert_eq!(header(&reply, "X-Seen"), Some("cba"), "{reply}");
    assert_eq!(header(&reply, "X-Count"), Some("3"), "{reply}");
    assert_eq!(header(&reply, "X-HSeen"), Some("[x][y]"), "{reply}");
}

#[test]
fn assignment_operators() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(a) = 5;
            $var(a) += 10;
            $var(a) -= 3;
            $var(s) = "text";
            $var(s) = $var(s) + "-more";
            $avp(x) = 1;
            $avp(x) = 2;
            $var(before) = $(avp(x)[*]);
            $avp(x) := 9;
            $var(after) = $(avp(x)[*]);
            $avp(y) = "keep";
            $avp(y) = NULL;
            $var(y) = $avp(y);
            $var(gone) = "set";
            $var(gone) = NULL;
            $du = "sip:127.0.0.1:9";
            $var(du) = $du;
            $rU = "newuser";
            append_to_reply("X-A: $var(a)\r\nX-S: $var(s)\r\nX-Before: $var(before)\r\nX-After: $var(after)\r\nX-Y: $var(y)\r\nX-Gone: $var(gone)\r\nX-Du: $var(du)\r\nX-Ru: $ru\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = ask(&server, &c, "assign");
    assert_eq!(header(&reply, "X-A"), Some("12"), "{reply}");
    assert_eq!(header(&reply, "X-S"), Some("text-more"), "{reply}");
    assert_eq!(header(&reply, "X-Before"), Some("2,1"), "{reply}");
    assert_eq!(header(&reply, "X-After"), Some("9"), "{reply}");
    assert_eq!(
        header(&reply, "X-Y"),
        Some("<null>"),
        "= NULL deletes the AVP: {reply}"
    );
    assert_eq!(header(&reply, "X-Gone"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-Du"), Some("sip:127.0.0.1:9"), "{reply}");
    assert_eq!(
        header(&reply, "X-Ru"),
        Some("sip:newuser@127.0.0.1"),
        "{reply}"
    );
}

#[test]
fn exit_stops_the_whole_script_even_from_a_subroute() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            if ($rU == "main") {
                sl_send_reply(200, "Exited In Main");
                exit;
                sl_send_reply(500, "After Exit");
            }
            route(answer_and_exit);
            sl_send_reply(500, "After Subroute Exit");
        }
        route[answer_and_exit] {
            sl_send_reply(200, "Exited In Subroute");
            exit();
        }"#,
    ));
    let c = UdpClient::new();
    let reply = ask(&server, &c, "main");
    assert_eq!(
        (status(&reply), reason(&reply)),
        (200, "Exited In Main"),
        "{reply}"
    );
    assert!(c.silent_for(200), "nothing is sent after exit");
    let reply = ask(&server, &c, "sub");
    assert_eq!(
        (status(&reply), reason(&reply)),
        (200, "Exited In Subroute"),
        "{reply}"
    );
    assert!(
        c.silent_for(200),
        "nothing is sent after exit in a subroute"
    );
}

#[test]
fn drop_stops_without_a_reply_and_the_server_goes_on() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            if ($rU == "dropme") {
                drop;
                sl_send_reply(500, "After Drop");
            }
            if ($rU == "dropsub") {
                route(dropper);
                sl_send_reply(500, "After Drop In Subroute");
            }
            sl_send_reply(200, "Alive");
        }
        route[dropper] {
            drop();
        }"#,
    ));
    let c = UdpClient::new();
    c.send(
        &server,
        request("OPTIONS", "sip:dropme@127.0.0.1", c.port(), "").as_bytes(),
    );
    assert!(c.silent_for(300), "a dropped request gets no reply");
    c.send(
        &server,
        request("OPTIONS", "sip:dropsub@127.0.0.1", c.port(), "").as_bytes(),
    );
    assert!(c.silent_for(300), "drop in a subroute stops the script");
    let reply = ask(&server, &c, "other");
    assert_eq!((status(&reply), reason(&reply)), (200, "Alive"), "{reply}");
}

#[test]
fn return_codes_of_routes_and_functions() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            route(five);
            $var(five) = $retcode;
            if (route(neg)) { $var(neg) = "true"; } else { $var(neg) = "false"; }
            $var(negrc) = $rc;
            if (route(plain)) { $var(plain) = "true"; } else { $var(plain) = "false"; }
            $var(plainrc) = $rc;
            if (is_method("INVITE")) { $var(m) = "invite"; } else { $var(m) = "not-invite"; }
            $var(mrc) = $retcode;
            if (is_method("OPTIONS")) { $var(m2) = "options"; }
            $var(m2rc) = $rc;
            $var(expr) = route(five) + 1;
            if ($rU == "zero") {
                route(zero);
                sl_send_reply(500, "After Return Zero");
                exit;
            }
            append_to_reply("X-Five: $var(five)\r\nX-Neg: $var(neg) $var(negrc)\r\nX-Plain: $var(plain) $var(plainrc)\r\nX-M: $var(m) $var(mrc)\r\nX-M2: $var(m2) $var(m2rc)\r\nX-Expr: $var(expr)\r\n");
            sl_send_reply(200, "OK");
        }
        route[five] { return(5); }
        route[neg] { return(-2); }
        route[plain] { $var(x) = 1; return; }
        route[zero] {
            sl_send_reply(200, "Returned Zero");
            return(0);
        }"#,
    ));
    let c = UdpClient::new();
    let reply = ask(&server, &c, "codes");
    assert_eq!(header(&reply, "X-Five"), Some("5"), "{reply}");
    assert_eq!(
        header(&reply, "X-Neg"),
        Some("false -2"),
        "negative is false: {reply}"
    );
    assert_eq!(
        header(&reply, "X-Plain"),
        Some("true 1"),
        "bare return is 1: {reply}"
    );
    assert_eq!(header(&reply, "X-M"), Some("not-invite -1"), "{reply}");
    assert_eq!(header(&reply, "X-M2"), Some("options 1"), "{reply}");
    assert_eq!(header(&reply, "X-Expr"), Some("6"), "{reply}");
    let reply = ask(&server, &c, "zero");
    assert_eq!(
        (status(&reply), reason(&reply)),
        (200, "Returned Zero"),
        "{reply}"
    );
    assert!(c.silent_for(200), "return(0) is exit");
}

#[test]
fn route_arguments_are_params() {
    let server = Server::start(&cfg(
        "",
        r#"route {
            $var(name) = "world";
            route(greet, "hello", $var(name), 42);
            append_to_reply("X-Outer: $param(1)\r\n");
            sl_send_reply(200, "OK");
        }
        route[greet] {
            append_to_reply("X-P1: $param(1)\r\nX-P2: $param(2)\r\nX-P3: $param(3)\r\nX-P4: $param(4)\r\n");
            route(inner, $param(3) + 1);
            append_to_reply("X-Back: $param(1)\r\n");
        }
        route[inner] {
            append_to_reply("X-Inner: $param(1)\r\n");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = ask(&server, &c, "params");
    assert_eq!(header(&reply, "X-P1"), Some("hello"), "{reply}");
    assert_eq!(header(&reply, "X-P2"), Some("world"), "{reply}");
    assert_eq!(header(&reply, "X-P3"), Some("42"), "{reply}");
    assert_eq!(header(&reply, "X-P4"), Some("<null>"), "{reply}");
    assert_eq!(header(&reply, "X-Inner"), Some("43"), "{reply}");
    assert_eq!(
        header(&reply, "X-Back"),
        Some("hello"),
        "params come back after a nested call: {reply}"
    );
    assert_eq!(
        header(&reply, "X-Outer"),
        Some("<null>"),
        "the main route has no params: {reply}"
    );
}
