//! Broken inputs: exact `FILE:LINE:COL: message` diagnostics.

mod common;
use common::errors;

#[test]
fn unterminated_string() {
    assert_eq!(
        errors("route {\n  xlog(\"abc);\n}\n"),
        [
            "bad.cfg:2:8: unterminated string",
            "bad.cfg:1:7: unclosed `{`: expected `}` before end of file",
        ]
    );
}

#[test]
fn missing_semicolon_points_after_the_statement() {
    assert_eq!(
        errors("route {\n  xlog(\"a\")\n  exit;\n}\n"),
        ["bad.cfg:2:12: expected `;`, found `exit`"]
    );
}

#[test]
fn missing_closing_brace_at_end_of_file() {
    assert_eq!(
        errors("route {\n  if ($var(a)) {\n    exit;\n}\n"),
        ["bad.cfg:1:7: unclosed `{`: expected `}` before end of file"]
    );
}

#[test]
fn missing_closing_brace_before_next_route() {
    assert_eq!(
        errors("route {\n  if (1) {\n    exit;\n}\nroute[relay] {\n  exit;\n}\nfailure_route[x] { bad }\n"),
        [
            "bad.cfg:1:7: unclosed `{`: expected `}` before `route`",
            "bad.cfg:8:23: expected `;`, found `}`",
        ]
    );
}

#[test]
fn bad_token() {
    assert_eq!(
        errors("route {\n  $var(a) = 1 @ 2;\n}\n"),
        ["bad.cfg:2:15: unexpected character `@`"]
    );
}

#[test]
fn several_errors_are_collected() {
    assert_eq!(
        errors("route {\n  foo(;\n  bar();\n  $x 1;\n}\nbogus\nroute[r] { exit; }\n"),
        [
            "bad.cfg:2:7: expected an expression, found `;`",
            "bad.cfg:4:6: expected an assignment operator (`=`, `+=`, `:=`...) after the pseudo-variable, found `1`",
            "bad.cfg:6:1: expected `=` after `bogus` (global parameter) or a known top-level keyword, found `route`",
        ]
    );
}

#[test]
fn unterminated_block_comment() {
    assert_eq!(
        errors("log_level=1\n  /* abc\nroute{}"),
        ["bad.cfg:2:3: unterminated `/*` comment"]
    );
}

#[test]
fn bad_pseudo_variables() {
    assert_eq!(
        errors("route {\n $var(a = 1;\n}"),
        ["bad.cfg:2:6: unclosed `(` in pseudo-variable"]
    );
    assert_eq!(
        errors("route {\n xlog(\"$(ru{uri.user\");\n}"),
        ["bad.cfg:2:21: expected `}` closing the transformation"]
    );
    assert_eq!(
        errors("route {\n $ = 1;\n}"),
        ["bad.cfg:2:3: expected a pseudo-variable name after `$`"]
    );
}

#[test]
fn misplaced_keywords() {
    assert_eq!(
        errors("route {\n else exit;\n case 1: exit;\n}"),
        [
            "bad.cfg:2:2: `else` without a matching `if`",
            "bad.cfg:3:2: `case` outside of a `switch`",
        ]
    );
    assert_eq!(
        errors("route { switch ($rm) { exit; } }"),
        ["bad.cfg:1:24: expected `case` or `default`, found `exit`"]
    );
    assert_eq!(
        errors("route { if $var(a) exit; }"),
        ["bad.cfg:1:12: expected `(` after `if`, found `$var(a)`"]
    );
    assert_eq!(
        errors("route { x = 1; }"),
        ["bad.cfg:1:9: cannot assign to `x`: only pseudo-variables (`$var(x)`) can be assigned"]
    );
}

#[test]
fn bad_route_headers() {
    assert_eq!(
        errors("startup_route[x] { exit; }"),
        ["bad.cfg:1:14: `startup_route` takes no name: write `startup_route { ... }`"]
    );
    assert_eq!(
        errors("timer_route[t] { exit; }"),
        ["bad.cfg:1:1: timer_route needs an interval: `timer_route[name, seconds]`"]
    );
    assert_eq!(
        errors("failure_route { exit; }"),
        ["bad.cfg:1:15: expected `[name]` after `failure_route`, found `{`"]
    );
    assert_eq!(
        errors("event_route[E_X, later] { exit; }"),
        ["bad.cfg:1:18: expected `async` or `sync` after the event name"]
    );
}

#[test]
fn bad_top_level_items() {
    assert_eq!(
        errors("modparam(\"tm\", \"x\", 1\nloadmodule \"sl.so\"\n}"),
        [
            "bad.cfg:2:1: expected `)` closing `modparam`, found `loadmodule`",
            "bad.cfg:3:1: unexpected `}` with no open block",
        ]
    );
    assert_eq!(
        errors("socket=udp:1.2.3.4:99999\n"),
        ["bad.cfg:1:20: invalid port `99999`"]
    );
    assert_eq!(
        errors("log_level=\n"),
        ["bad.cfg:2:1: expected a value after `=`"]
    );
    assert_eq!(
        errors("loadmodule tm\n"),
        ["bad.cfg:1:12: expected a quoted module path after `loadmodule`, found `tm`"]
    );
}

#[test]
fn error_count_is_bounded() {
    let text = format!("route {{\n{}}}\n", "foo(;\n".repeat(500));
    let errs = errors(&text);
    assert_eq!(errs.len(), 20);
}

#[test]
fn garbage_never_panics() {
    // A few hostile inputs; the parser must return, with or without errors.
    let inputs = [
        "",
        "}",
        "{",
        "$",
        "$(",
        "$(<",
        "\"",
        "'",
        "/*",
        "route[",
        "route[\"",
        "socket=",
        "socket=[",
        "socket=udp:[::1",
        "modparam(",
        "route { switch",
        "route { if (",
        "route { $(a{",
        "route { $(a{s.select,1,",
        "é",
        "route { é }",
        "x=é",
        "timer_route[a,",
        "route { xlog(\"$(x{s.substr,$\") }",
        "route { return( }",
        "listen=udp:1.2.3.4 as",
        "event_route[E,",
        "route{case",
        "include_file",
        "0x",
        "route{$var(a)=0xZZ;}",
    ];
    for input in inputs {
        let r = siplua_script::parse_str("g", input);
        if !input.is_empty() {
            assert!(r.is_err(), "{input:?} should not parse");
        }
        assert_located(r);
    }
    for cut in 0..200 {
        let text = include_str!("data/residential.cfg");
        let mut end = text.len() * cut / 200;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        assert_located(siplua_script::parse_str("cut", &text[..end]));
    }
}

#[test]
fn mutated_configs_never_panic() {
    // Deterministic xorshift so a failure reproduces.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let interesting = b"$(){}[],;:=!~<>&|^+-*/%\"'\\#. 0aZ_\n";
    let base = include_str!("data/residential.cfg").as_bytes();
    for _ in 0..600 {
        let mut bytes = base.to_vec();
        for _ in 0..1 + rand() % 4 {
            let at = (rand() as usize) % bytes.len();
            bytes[at] = interesting[(rand() as usize) % interesting.len()];
        }
        let text = String::from_utf8_lossy(&bytes);
        assert_located(siplua_script::parse_str("m", &text));
    }
}

/// Every diagnostic of a failed parse has a 1-based location.
fn assert_located(
    r: Result<(siplua_script::Script, siplua_script::SourceMap), Vec<siplua_script::Diagnostic>>,
) {
    if let Err(ds) = r {
        assert!(!ds.is_empty());
        for d in ds {
            let loc = d.location.as_ref().expect("located");
            assert!(loc.line >= 1 && loc.col >= 1, "{d}");
        }
    }
}

#[test]
fn async_needs_a_call_and_a_resume_route() {
    let e = errors("route {\n  async(rest_get, resume);\n}\n");
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("bad.cfg:2:17: expected `(` after `rest_get`"),
        "{e:?}"
    );
    let e = errors("route {\n  async(exec(\"ls\"));\n}\n");
    assert!(
        e[0].starts_with("bad.cfg:2:19: expected `,` and a resume route"),
        "{e:?}"
    );
}
