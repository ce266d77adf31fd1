//! Every operator of the script language, end to end: the script computes expressions into
//! `$var`s and sends them back in reply headers.

use crate::common;

use common::*;

/// Runs `body` (assignments to `$var(NAME)`), then replies with one `X-NAME: $var(NAME)` header
/// per name; returns the reply.
fn eval(body: &str, names: &[&str]) -> String {
    let headers: String = names
        .iter()
        .map(|n| format!("X-{n}: $var({n})\\r\\n"))
        .collect();
    let server = Server::start(&cfg(
        "",
        &format!(
            "route {{\n{body}\nappend_to_reply(\"{headers}\");\nsl_send_reply(200, \"OK\");\n}}\n\
             route[mark] {{ $var(marked) = \"evaluated\"; return(1); }}"
        ),
    ));
    let c = UdpClient::new();
    c.ask(
        &server,
        &request("OPTIONS", "sip:ops@127.0.0.1", c.port(), "X-Num: 12\r\n"),
    )
}

fn check(reply: &str, expected: &[(&str, &str)]) {
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(n, v)| header(reply, &format!("X-{n}")) != Some(*v))
        .map(|(n, v)| {
            format!(
                "{n}: expected {v:?}, got {:?}",
                header(reply, &format!("X-{n}"))
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}\n{reply}", wrong.join("\n"));
}

#[test]
fn arithmetic_and_bitwise() {
    let expected = [
        ("add", "10"),
        ("sub", "-3"),
        ("mul", "42"),
        ("div", "3"),
        ("mod", "1"),
        ("divzero", "<null>"),
        ("band", "8"),
        ("bor", "14"),
        ("bxor", "6"),
        ("bnot", "-1"),
        ("shl", "16"),
        ("shr", "16"),
        ("prec", "14"),
        ("paren", "20"),
        ("neg", "-5"),
        ("concat", "abcd"),
        ("mixed", "n12"),
        ("pvnum", "13"),
    ];
    let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    let reply = eval(
        r#"
        $var(add) = 7 + 3;
        $var(sub) = 7 - 10;
        $var(mul) = 6 * 7;
        $var(div) = 7 / 2;
        $var(mod) = 7 % 3;
        $var(zero) = 0;
        $var(divzero) = 1 / $var(zero);
        $var(band) = 12 & 10;
        $var(bor) = 12 | 10;
        $var(bxor) = 12 ^ 10;
        $var(bnot) = ~0;
        $var(shl) = 1 << 4;
        $var(shr) = 256 >> 4;
        $var(prec) = 2 + 3 * 4;
        $var(paren) = (2 + 3) * 4;
        $var(five) = 5;
        $var(neg) = -$var(five);
        $var(concat) = "ab" + "cd";
        $var(mixed) = "n" + $hdr(X-Num);
        $var(pvnum) = $(hdr(X-Num){s.int}) + 1;
        "#,
        &names,
    );
    check(&reply, &expected);
}

#[test]
fn comparisons_and_logic() {
    let expected = [
        ("eq", "yes"),
        ("eqstr", "yes"),
        ("eqmix", "yes"),
        ("ne", "yes"),
        ("lt", "yes"),
        ("gt", "yes"),
        ("le", "yes"),
        ("ge", "yes"),
        ("numlt", "yes"),
        ("strlt", "yes"),
        ("not", "yes"),
        ("and", "yes"),
        ("or", "yes"),
        ("short", "<null>"),
        ("shortor", "<null>"),
        ("nullcmp", "yes"),
        ("notnull", "yes"),
        ("match", "yes"),
        ("nomatch", "yes"),
        ("dynmatch", "yes"),
        ("matchcase", "yes"),
        ("notval", "0"),
        ("notzero", "1"),
    ];
    let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    let reply = eval(
        r#"
        if (3 == 3) $var(eq) = "yes"; else $var(eq) = "no";
        if ("abc" == "abc") $var(eqstr) = "yes"; else $var(eqstr) = "no";
        if ($hdr(X-Num) == 12) $var(eqmix) = "yes"; else $var(eqmix) = "no";
        if (3 != 4) $var(ne) = "yes"; else $var(ne) = "no";
        if (3 < 4) $var(lt) = "yes"; else $var(lt) = "no";
        if (5 > 4) $var(gt) = "yes"; else $var(gt) = "no";
        if (4 <= 4 && 3 <= 4) $var(le) = "yes"; else $var(le) = "no";
        if (4 >= 4 && 5 >= 4) $var(ge) = "yes"; else $var(ge) = "no";
        if ($hdr(X-Num) < 100) $var(numlt) = "yes"; else $var(numlt) = "no";
        if ("abc" < "abd") $var(strlt) = "yes"; else $var(strlt) = "no";
        if (!(1 == 2)) $var(not) = "yes"; else $var(not) = "no";
        if (1 == 1 && 2 == 2) $var(and) = "yes"; else $var(and) = "no";
        if (1 == 2 || 2 == 2) $var(or) = "yes"; else $var(or) = "no";
        if (1 == 2 && route(mark)) $var(x) = 1;
        $var(short) = $var(marked);
        if (1 == 1 || route(mark)) $var(x) = 1;
        $var(shortor) = $var(marked);
        if ($var(unset) == NULL) $var(nullcmp) = "yes"; else $var(nullcmp) = "no";
        if ($rU != NULL) $var(notnull) = "yes"; else $var(notnull) = "no";
        if ($ru =~ "^sip:op[a-z]+@") $var(match) = "yes"; else $var(match) = "no";
        if ($ru !~ "^sips:") $var(nomatch) = "yes"; else $var(nomatch) = "no";
        $var(re) = "^sip:" + $rU;
        if ($ru =~ $var(re)) $var(dynmatch) = "yes"; else $var(dynmatch) = "no";
        if ($rm =~ "^options$") $var(matchcase) = "yes"; else $var(matchcase) = "no";
        $var(notval) = !1;
        $var(notzero) = !0;
        "#,
        &names,
    );
    check(&reply, &expected);
}

#[test]
fn strings_with_variables_integers_and_null() {
    let expected = [
        ("fmt", "user ops via OPTIONS #12"),
        ("int", "-42"),
        ("hexlike", "0x10"),
        ("nullvar", "<null>"),
        ("nullstr", "[<null>]"),
        ("esc", "a\"b"),
    ];
    let names: Vec<&str> = expected.iter().map(|(n, _)| *n).collect();
    let reply = eval(
        r#"
        $var(fmt) = "user $rU via $rm #$hdr(X-Num)";
        $var(int) = -42;
        $var(hexlike) = "0x10";
        $var(nullvar) = NULL;
        $var(nullstr) = "[$avp(nothing)]";
        $var(esc) = "a\"b";
        "#,
        &names,
    );
    check(&reply, &expected);
}
