//! mathops end to end: every function with constants and variables, its results reported in
//! reply headers and compared exactly with what OpenSIPS prints (`decimal_digits` 6 and 2),
//! run-time errors answering -1, and bad constant arguments refused at load time with
//! their file and line.

use crate::common;

use common::*;

const ROUTES: &str = r#"route {
    $var(x) = "1.5";
    $var(three) = "3";
    $var(pi) = "3.141492";
    $var(dec) = 4;
    math_eval("1 + 2 * 3", $var(e1));
    math_eval("$var(x) * ($var(three) - 1)", $var(e2));
    math_eval("2^3^2 + -2^2", $var(e3));
    math_eval("log(1000) + ln(1) + sqrt 16 + abs(-1) + 7 % 4", $var(e4));
    math_eval("sqrt(2)", $var(e5));
    math_eval("1/0", $avp(e6));
    append_to_reply("X-Eval: $var(e1) $var(e2) $var(e3) $var(e4) $var(e5) $avp(e6)\r\n");
    $var(bad) = "2 +";
    $var(r) = "untouched";
    math_eval("$var(bad)", $var(r));
    $var(rc1) = $rc;
    math_eval("sqrt(-1)", $var(r));
    $var(rc2) = $rc;
    $var(bad) = "pi * 2";
    math_eval("$var(bad)", $var(r));
    append_to_reply("X-Eval-Err: $var(rc1) $var(rc2) $rc $var(r)\r\n");
    math_rpn("1 $var(three) swap swap dup drop / exp ln 1 swap /", $var(p1));
    math_rpn("2 10 pow 24 - 3 neg *", $var(p2));
    $var(bad) = "1 +";
    math_rpn("$var(bad)", $var(p3));
    $var(rc1) = $rc;
    $var(bad) = "1 2 frobnicate";
    math_rpn("$var(bad)", $var(p3));
    append_to_reply("X-Rpn: $var(p1) $var(p2) $var(rc1) $rc\r\n");
    math_trunc("-2.9", $var(t1));
    math_floor("-2.9", $var(t2));
    math_ceil("3.2", $var(t3));
    math_trunc($var(pi), $var(t4));
    math_floor("abc", $var(t5));
    append_to_reply("X-Trunc: $var(t1) $var(t2) $var(t3) $var(t4) $var(t5) $rc\r\n");
    math_round("2.5", $var(r1));
    math_round("-0.5", $var(r2));
    math_round($var(pi), $var(r3), 4);
    math_round("2.675", $var(r4), $var(dec));
    math_round_sf("17892.987", $var(r5), 2);
    math_round_sf($var(pi), $var(r6), $var(dec));
    math_round_sf("7.6", $var(r7));
    append_to_reply("X-Round: $var(r1) $var(r2) $var(r3) $var(r4) $var(r5) $var(r6) $var(r7)\r\n");
    math_compare("1 + 8", "7/2", $var(c1));
    math_compare("$var(three)", "6 / 2", $var(c2));
    math_compare("$var(x)", "2", $var(c3));
    $var(bad) = "(1";
    math_compare("$var(bad)", "2", $var(c4));
    append_to_reply("X-Compare: $var(c1) $var(c2) $var(c3) $rc\r\n");
    sl_send_reply(200, "OK");
}"#;

#[test]
fn functions_write_what_opensips_writes() {
    let mut s = Server::start(&cfg("loadmodule \"mathops.so\"\n", ROUTES));
    let c = UdpClient::new();
    let reply = c.ask(&s, &request("OPTIONS", "sip:x@example.com", c.port(), ""));
    assert_eq!(status(&reply), 200, "{reply}");
    assert_eq!(
        header(&reply, "X-Eval"),
        Some("7.000000 3.000000 68.000000 11.000000 1.414214 inf"),
        "{reply}"
    );
    assert_eq!(header(&reply, "X-Eval-Err"), Some("-1 -1 -1 untouched"));
    assert_eq!(header(&reply, "X-Rpn"), Some("3.000000 -3000.000000 -1 -1"));
    assert_eq!(header(&reply, "X-Trunc"), Some("-2 -3 4 3 0 1"));
    assert_eq!(
        header(&reply, "X-Round"),
        Some("3 -1 3.1415 2.6750 18000.000000 3.141000 8")
    );
    assert_eq!(header(&reply, "X-Compare"), Some("1 0 -1 -1"));
    assert!(
        s.wait_log("math_eval: bad expression <2 +>"),
        "{}",
        s.log_text()
    );
    assert!(s.is_running(), "still serving");
}

#[test]
fn decimal_digits_sets_the_printed_decimals() {
    let s = Server::start(&cfg(
        "loadmodule \"mathops.so\"\nmodparam(\"mathops\", \"decimal_digits\", 2)\n",
        r#"route {
            math_eval("10 / 3", $var(a));
            math_rpn("2 3 /", $var(b));
            math_round_sf("3.141492", $var(c), 3);
            append_to_reply("X-D: $var(a) $var(b) $var(c)\r\n");
            sl_send_reply(200, "OK");
        }"#,
    ));
    let c = UdpClient::new();
    let reply = c.ask(&s, &request("OPTIONS", "sip:x@example.com", c.port(), ""));
    assert_eq!(header(&reply, "X-D"), Some("3.33 0.67 3.14"), "{reply}");
}

#[test]
fn bad_constant_arguments_fail_the_load_with_their_line() {
    for (name, globals, call, message) in [
        (
            "eval",
            "",
            "math_eval(\"1 +\", $var(r));",
            "bad expression <1 +>",
        ),
        (
            "eval_name",
            "",
            "math_eval(\"pi * 2\", $var(r));",
            "unknown name 'pi'",
        ),
        (
            "rpn",
            "",
            "math_rpn(\"1 foo\", $var(r));",
            "unknown operator 'foo'",
        ),
        (
            "compare",
            "",
            "math_compare(\"1\", \"(2\", $var(r));",
            "missing ')'",
        ),
        ("target", "", "math_trunc(\"1.5\", \"r\");", "math_trunc"),
        (
            "digits",
            "",
            "math_round(\"1.5\", $var(r), 500);",
            "500 digits",
        ),
        (
            "param",
            "modparam(\"mathops\", \"decimal_digits\", -1)\n",
            "exit;",
            "decimal_digits must be 0 to 100",
        ),
    ] {
        let text = cfg(
            &format!("loadmodule \"mathops.so\"\n{globals}"),
            &format!("route {{\n    {call}\n}}\n"),
        )
        .replace("{PORT}", "5999");
        let (out, path) = check_config(&format!("mathops_{name}.cfg"), &text);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: loaded:\n{err}");
        let line = text
            .lines()
            .position(|l| l.contains(call) || (call == "exit;" && l.contains("decimal_digits")))
            .map_or(0, |i| i + 1);
        let at = format!("{}:{line}:", path.display());
        assert!(
            err.lines()
                .any(|l| l.starts_with(&at) && l.contains(message)),
            "{name}: expected a line starting with {at} and naming {message:?}:\n{err}"
        );
    }
}
