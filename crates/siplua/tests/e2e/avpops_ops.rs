//! avpops' AVP operations end to end: `avp_pushto` into the Request-URI, `$du` and branches,
//! `avp_copy`, `avp_subst`, `avp_op`, `avp_shuffle`, `avp_print`, `avp_delete` and the
//! `is_avp_set` flags, each checked through what a request's reply carries
//! (`append_to_reply`), plus the load errors bad constant arguments give.

use crate::common;

use common::*;

fn server(routes: &str) -> Server {
    Server::start(&cfg("loadmodule \"avpops.so\"\n", routes))
}

fn ask(s: &Server, ruri: &str) -> String {
    let c = UdpClient::new();
    c.ask(s, &request("INVITE", ruri, c.port(), ""))
}

#[test]
fn pushto_writes_the_request_uri_dst_uri_and_branches() {
    let s = server(
        r#"route {
        $avp(dom) = "b.example.org";
        $avp(dom) = "a.example.org";
        $avp(user) = "carol";
        avp_pushto("$ru/username", "$avp(user)");
        avp_pushto("$ru/domain", "$avp(dom)");
        append_to_reply("X-Ru1: $ru\r\n");
        avp_pushto("$ru/domain", "$avp(dom)/g");
        append_to_reply("X-Ru2: $ru\r\nX-Br2: $(branch(uri)[*])\r\n");
        $avp(gw) = "sip:gw1.example.net:5070";
        avp_pushto("$du", "$avp(gw)");
        avp_pushto("$br", "$avp(gw)");
        $avp(num) = 5;
        if (!avp_pushto("$du", "$avp(num)")) {
            append_to_reply("X-IntDu: refused\r\n");
        }
        if (!avp_pushto("$ru", "$avp(missing)")) {
            append_to_reply("X-Missing: yes\r\n");
        }
        avp_pushto("$ru/username", "$fU");
        append_to_reply("X-Du: $du\r\nX-Br: $(branch(uri)[*])\r\nX-Ru3: $ru\r\n");
        $avp(full) = "sip:dave@d.example.net";
        avp_pushto("$ru", "$avp(full)");
        append_to_reply("X-Ru4: $ru\r\n");
        sl_send_reply(200, "Pushed");
    }"#,
    );
    let r = ask(&s, "sip:123@example.com");
    assert_eq!(header(&r, "X-Ru1"), Some("sip:carol@a.example.org"), "{r}");
    // /g: the newest value first, then each later one moves the current URI to a branch.
    assert_eq!(header(&r, "X-Ru2"), Some("sip:carol@b.example.org"), "{r}");
    assert_eq!(header(&r, "X-Br2"), Some("sip:carol@a.example.org"), "{r}");
    assert_eq!(header(&r, "X-Du"), Some("sip:gw1.example.net:5070"), "{r}");
    assert_eq!(
        header(&r, "X-Br"),
        Some("sip:carol@a.example.org,sip:gw1.example.net:5070"),
        "{r}"
    );
    assert_eq!(header(&r, "X-IntDu"), Some("refused"), "{r}");
    assert_eq!(header(&r, "X-Missing"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Ru3"), Some("sip:alice@b.example.org"), "{r}");
    assert_eq!(header(&r, "X-Ru4"), Some("sip:dave@d.example.net"), "{r}");
}

#[test]
fn copy_copies_moves_and_converts() {
    let s = server(
        r#"route {
        $avp(src) = "one";
        $avp(src) = 2;
        $avp(src) = "three";
        avp_copy("$avp(src)", "$avp(a)");
        avp_copy("$avp(src)", "$avp(b)/g");
        append_to_reply("X-A: $(avp(a)[*])\r\nX-B: $(avp(b)[*])\r\n");
        $avp(txt) = "42";
        avp_copy("$avp(txt)", "$avp(int)/n");
        if (avp_op("$avp(int)", "add/1/d")) {
            append_to_reply("X-Int: $avp(int)\r\n");
        }
        avp_copy("$avp(src)", "$avp(m)/d");
        append_to_reply("X-M: $(avp(m)[*])\r\nX-Left: $(avp(src)[*])\r\n");
        avp_copy("$avp(src)", "$avp(all)/gd");
        if (!is_avp_set("$avp(src)")) {
            append_to_reply("X-All: $(avp(all)[*])\r\n");
        }
        if (!avp_copy("$avp(src)", "$avp(x)")) {
            append_to_reply("X-Empty: -1\r\n");
        }
        $avp(bad) = "4x";
        if (!avp_copy("$avp(bad)", "$avp(y)/n") && !is_avp_set("$avp(y)")) {
            append_to_reply("X-Bad: -1\r\n");
        }
        sl_send_reply(200, "Copied");
    }"#,
    );
    let r = ask(&s, "sip:123@example.com");
    assert_eq!(header(&r, "X-A"), Some("three"), "{r}");
    assert_eq!(
        header(&r, "X-B"),
        Some("one,2,three"),
        "reversed, as OpenSIPS: {r}"
    );
    assert_eq!(header(&r, "X-Int"), Some("43"), "an integer after /n: {r}");
    assert_eq!(header(&r, "X-M"), Some("three"), "{r}");
    assert_eq!(header(&r, "X-Left"), Some("2,one"), "{r}");
    assert_eq!(header(&r, "X-All"), Some("one,2"), "{r}");
    assert_eq!(header(&r, "X-Empty"), Some("-1"), "{r}");
    assert_eq!(header(&r, "X-Bad"), Some("-1"), "{r}");
}

#[test]
fn subst_rewrites_string_values() {
    let s = server(
        r#"route {
        $avp(uri) = "sip:bob@old.example.com";
        $avp(uri) = 7;
        $avp(uri) = "sip:carol@old.example.com";
        avp_subst("$avp(uri)/$avp(new)", "/(.*)@(.*)/\\1@$rd/");
        append_to_reply("X-New: $(avp(new)[*])\r\nX-Uri: $(avp(uri)[*])\r\n");
        avp_subst("$avp(uri)/$avp(all)/g", "/old/new/");
        append_to_reply("X-All: $(avp(all)[*])\r\n");
        avp_subst("$avp(uri)/g", "/^sip:/sips:/");
        append_to_reply("X-Inplace: $(avp(uri)[*])\r\n");
        avp_subst("$avp(uri)/$avp(moved)/d", "/carol/dave/");
        append_to_reply("X-Moved: $avp(moved)\r\nX-Rest: $(avp(uri)[*])\r\n");
        if (!avp_subst("$avp(uri)", "/nomatch/x/")) {
            append_to_reply("X-NoMatch: -1\r\n");
        }
        $avp(word) = "Hello hello";
        avp_subst("$avp(word)", "/HELLO/bye/gi");
        append_to_reply("X-Word: $avp(word)\r\n");
        $var(path) = "a/b\\c";
        $avp(p) = "x-y";
        avp_subst("$avp(p)", "/-/$var(path)/");
        append_to_reply("X-Path: $avp(p)\r\n");
        sl_send_reply(200, "Substituted");
    }"#,
    );
    let r = ask(&s, "sip:123@example.net");
    assert_eq!(header(&r, "X-New"), Some("sip:carol@example.net"), "{r}");
    assert_eq!(
        header(&r, "X-Uri"),
        Some("sip:carol@old.example.com,7,sip:bob@old.example.com"),
        "the source stays when there is a destination: {r}"
    );
    assert_eq!(
        header(&r, "X-All"),
        Some("sip:bob@new.example.com,sip:carol@new.example.com"),
        "{r}"
    );
    assert_eq!(
        header(&r, "X-Inplace"),
        Some("sips:bob@old.example.com,sips:carol@old.example.com,7"),
        "{r}"
    );
    assert_eq!(
        header(&r, "X-Moved"),
        Some("sips:dave@old.example.com"),
        "{r}"
    );
    assert_eq!(
        header(&r, "X-Rest"),
        Some("sips:bob@old.example.com,7"),
        "{r}"
    );
    assert_eq!(header(&r, "X-NoMatch"), Some("-1"), "{r}");
    assert_eq!(header(&r, "X-Word"), Some("bye bye"), "{r}");
    assert_eq!(
        header(&r, "X-Path"),
        Some("xa/b\\cy"),
        "a value is literal: {r}"
    );
}

#[test]
fn op_does_integer_arithmetic() {
    let s = server(
        r#"route {
        $avp(n) = 10;
        avp_op("$avp(n)", "add/5");
        append_to_reply("X-Add: $(avp(n)[*])\r\n");
        avp_op("$avp(n)", "sub/i:3/d");
        append_to_reply("X-Sub: $(avp(n)[*])\r\n");
        $avp(k) = 3;
        avp_op("$avp(n)/$avp(m)", "mul/$avp(k)");
        append_to_reply("X-Mul: $(avp(m)[*])\r\n");
        avp_op("$avp(n)/$avp(g)", "add/1/g");
        append_to_reply("X-G: $(avp(g)[*])\r\n");
        $var(mask) = 6;
        avp_op("$avp(n)/$avp(bits)", "and/$var(mask)");
        avp_op("$avp(n)/$avp(hex)", "xor/i:0xff");
        append_to_reply("X-Bits: $avp(bits)\r\nX-Hex: $avp(hex)\r\n");
        if (avp_op("$avp(n)/$avp(z)", "div/0")) {
            append_to_reply("X-Div0: $avp(z)\r\n");
        }
        $avp(s) = "str";
        if (!avp_op("$avp(s)", "add/1")) {
            append_to_reply("X-Str: -1\r\n");
        }
        if (!avp_op("$avp(n)", "add/$avp(none)")) {
            append_to_reply("X-NoValue: -1\r\n");
        }
        sl_send_reply(200, "Computed");
    }"#,
    );
    let r = ask(&s, "sip:123@example.com");
    assert_eq!(
        header(&r, "X-Add"),
        Some("15,10"),
        "the old value stays: {r}"
    );
    assert_eq!(header(&r, "X-Sub"), Some("12,10"), "/d replaces it: {r}");
    assert_eq!(header(&r, "X-Mul"), Some("36"), "{r}");
    assert_eq!(header(&r, "X-G"), Some("11,13"), "every value with /g: {r}");
    assert_eq!(header(&r, "X-Bits"), Some("4"), "12 & 6: {r}");
    assert_eq!(header(&r, "X-Hex"), Some("243"), "12 ^ 255: {r}");
    assert_eq!(header(&r, "X-Div0"), Some("0"), "{r}");
    assert_eq!(header(&r, "X-Str"), Some("-1"), "{r}");
    assert_eq!(header(&r, "X-NoValue"), Some("-1"), "{r}");
}

#[test]
fn shuffle_reorders_and_print_logs() {
    let s = server(
        r#"route {
        $avp(l) = 1;
        $avp(l) = 2;
        $avp(l) = 3;
        $avp(l) = 4;
        $avp(l) = 5;
        $var(i) = 0;
        $var(moved) = "no";
        while ($var(i) < 30) {
            avp_shuffle("$avp(l)");
            if ($avp(l) != 5) {
                $var(moved) = "yes";
            }
            $var(i) = $var(i) + 1;
        }
        $var(sum) = 0;
        $var(i) = 0;
        while ($var(i) < 5) {
            $var(sum) = $var(sum) + $(avp(l)[$var(i)]);
            $var(i) = $var(i) + 1;
        }
        if (!avp_shuffle("$avp(none)")) {
            append_to_reply("X-None: -1\r\n");
        }
        $avp(shown) = "marker-value";
        avp_print();
        append_to_reply("X-Moved: $var(moved)\r\nX-Sum: $var(sum)\r\nX-Count: $(avp(l)[*])\r\n");
        sl_send_reply(200, "Shuffled");
    }"#,
    );
    let r = ask(&s, "sip:123@example.com");
    assert_eq!(header(&r, "X-Moved"), Some("yes"), "{r}");
    assert_eq!(header(&r, "X-Sum"), Some("15"), "same values: {r}");
    let mut values: Vec<&str> = header(&r, "X-Count").unwrap_or("").split(',').collect();
    values.sort();
    assert_eq!(values, ["1", "2", "3", "4", "5"], "{r}");
    assert_eq!(header(&r, "X-None"), Some("-1"), "{r}");
    assert!(
        s.wait_log("name=<shown> val_str=<marker-value / 12>"),
        "{}",
        s.log_text()
    );
}

#[test]
fn delete_and_is_avp_set_take_their_flags() {
    let s = server(
        r#"route {
        $avp(d) = "old";
        $avp(d) = "new";
        avp_delete("$avp(d)");
        append_to_reply("X-One: $(avp(d)[*])\r\n");
        $avp(d) = "again";
        if (avp_delete("$avp(d)/g") && !is_avp_set("$avp(d)") && !avp_delete("$avp(d)")) {
            append_to_reply("X-All: gone\r\n");
        }
        $avp(i) = 0;
        $avp(t) = "text";
        $var(r) = "";
        if (is_avp_set("$avp(i)/n")) { $var(r) = $var(r) + "n"; }
        if (is_avp_set("$avp(i)/ne")) { $var(r) = $var(r) + "e"; }
        if (!is_avp_set("$avp(i)/s")) { $var(r) = $var(r) + "!s"; }
        if (is_avp_set("$avp(t)/s")) { $var(r) = $var(r) + "s"; }
        if (!is_avp_set("$avp(t)/e")) { $var(r) = $var(r) + "!e"; }
        append_to_reply("X-Set: $var(r)\r\n");
        sl_send_reply(200, "Deleted");
    }"#,
    );
    let r = ask(&s, "sip:123@example.com");
    assert_eq!(
        header(&r, "X-One"),
        Some("old"),
        "the newest value only: {r}"
    );
    assert_eq!(header(&r, "X-All"), Some("gone"), "{r}");
    assert_eq!(header(&r, "X-Set"), Some("ne!ss!e"), "{r}");
}

#[test]
fn bad_constant_arguments_fail_the_load() {
    let cases = [
        (r#"avp_pushto("$hdr(X-Foo)", "$avp(x)");"#, "append_hf"),
        (
            r#"avp_pushto("$ru/port", "$avp(x)");"#,
            "username or domain",
        ),
        (r#"avp_copy("$avp(a)", "$avp(b)/q");"#, "unknown flag 'q'"),
        (
            r#"avp_subst("$avp(a)", "/(/x/");"#,
            "bad regular expression",
        ),
        (r#"avp_op("$avp(a)", "pow/2");"#, "unknown operation"),
        (r#"avp_op("$avp(a)", "add/s:x");"#, "must be an integer"),
        (r#"avp_delete("$avp(a)/x");"#, "unknown flag 'x'"),
        (r#"is_avp_set("$avp(a)/sn");"#, "exclude each other"),
    ];
    for (i, (call, message)) in cases.iter().enumerate() {
        let (out, path) = check_config(
            &format!("avpops_bad_{i}.cfg"),
            &cfg(
                "loadmodule \"avpops.so\"\n",
                &format!("route {{\n    {call}\n    exit;\n}}"),
            )
            .replace("{PORT}", "5999"),
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success()
                && err.contains(&format!("{}:", path.display()))
                && err.contains(message),
            "{call}: {err}"
        );
    }
}
