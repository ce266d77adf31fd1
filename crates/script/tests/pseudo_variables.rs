//! Every pseudo-variable form, in code, in strings and through `parse_pv`.

mod common;
use common::*;
use siplua_script::*;

fn pv(text: &str) -> PvSpec {
    match rhs(text).kind {
        ExprKind::Pv(p) => p,
        other => panic!("{text}: {other:?}"),
    }
}

fn text_inner(p: &PvSpec) -> Option<&str> {
    match &p.inner {
        Some(PvInner::Text(t)) => Some(t),
        _ => None,
    }
}

#[test]
fn plain_names() {
    for name in [
        "ru",
        "rU",
        "fu",
        "T_reply_code",
        "err.class",
        "retcode",
        "rc",
        "DLG_status",
        "si",
        "sp",
        "Ri",
        "Rp",
        "pr",
        "proto",
        "ua",
        "ct",
        "cl",
        "ml",
        "mb",
        "rb",
        "pid",
        "Ts",
        "Tf",
        "TS",
        "br",
        "bf",
        "sf",
    ] {
        let p = pv(&format!("${name}"));
        assert_eq!(p.name, name);
        assert!(p.inner.is_none() && p.index.is_none() && p.transforms.is_empty());
    }
}

#[test]
fn inner_names() {
    let p = pv("$hdr(Via)");
    assert_eq!((p.name.as_str(), text_inner(&p)), ("hdr", Some("Via")));
    assert_eq!(text_inner(&pv("$avp(name)")), Some("name"));
    assert_eq!(text_inner(&pv("$var(name)")), Some("name"));
    assert_eq!(text_inner(&pv("$param(1)")), Some("1"));
    assert_eq!(text_inner(&pv("$time(%Y-%m-%d)")), Some("%Y-%m-%d"));
}

#[test]
fn dynamic_inner() {
    let p = pv("$avp($var(name))");
    let Some(PvInner::Pv(inner)) = &p.inner else {
        panic!("{p:?}")
    };
    assert_eq!(
        (inner.name.as_str(), text_inner(inner)),
        ("var", Some("name"))
    );
}

#[test]
fn indexes() {
    assert_eq!(pv("$hdr(Via)[1]").index, Some(PvIndex::Int(1)));
    assert_eq!(pv("$avp(name)[2]").index, Some(PvIndex::Int(2)));
    assert_eq!(pv("$(hdr(Via)[*])").index, Some(PvIndex::All));
    assert_eq!(pv("$(hdr(Contact)[-1])").index, Some(PvIndex::Int(-1)));
    assert_eq!(pv("$(ct[*])").index, Some(PvIndex::All));
    let Some(PvIndex::Pv(i)) = pv("$(avp(x)[$var(i)])").index else {
        panic!()
    };
    assert_eq!(i.name, "var");
}

#[test]
fn transforms() {
    let p = pv("$(ru{uri.user})");
    assert_eq!(p.name, "ru");
    assert_eq!(
        (
            p.transforms[0].class.as_str(),
            p.transforms[0].name.as_str()
        ),
        ("uri", "user")
    );
    assert!(p.transforms[0].args.is_empty());

    let p = pv("$(var(x){s.substr,0,5}{s.tolower})");
    assert_eq!(p.transforms.len(), 2);
    assert_eq!(
        p.transforms[0].args,
        [TransformArg::Int(0), TransformArg::Int(5)]
    );
    assert_eq!(p.transforms[1].name, "tolower");

    let p = pv("$(avp(x)[0]{s.len})");
    assert_eq!(
        (p.index.clone(), p.transforms[0].name.as_str()),
        (Some(PvIndex::Int(0)), "len")
    );

    let p = pv("$(fu{uri.param,transport})");
    assert_eq!(
        p.transforms[0].args,
        [TransformArg::Str("transport".into())]
    );

    let p = pv("$(hdr(X){s.select,1,,})");
    assert_eq!(
        p.transforms[0].args,
        [TransformArg::Int(1), TransformArg::Str(",".into())]
    );

    let p = pv(r"$(var(x){param.value,a\,b}{s.fill.left,,5})");
    assert_eq!(p.transforms[0].args, [TransformArg::Str("a,b".into())]);
    assert_eq!(
        p.transforms[1].args,
        [TransformArg::Str(String::new()), TransformArg::Int(5)]
    );

    let p = pv("$(var(x){s.substr,$var(y),1})");
    assert!(matches!(&p.transforms[0].args[0], TransformArg::Pv(y) if y.name == "var"));
}

#[test]
fn context_form() {
    let p = pv("$(<reply>hdr(X))");
    assert_eq!(p.context.as_deref(), Some("reply"));
}

#[test]
fn spans_in_code() {
    let text = "route { $var(t) = $(hdr(Via)[1]{s.len}) + 1; }";
    let (s, _) = parse_str("t", text).unwrap();
    let StmtKind::Assign { target, value, .. } = &s.routes[0].body[0].kind else {
        panic!()
    };
    assert_eq!(slice(text, target.span), "$var(t)");
    let ExprKind::Binary { lhs, .. } = &value.kind else {
        panic!()
    };
    let ExprKind::Pv(p) = &lhs.kind else { panic!() };
    assert_eq!(slice(text, p.span), "$(hdr(Via)[1]{s.len})");
    assert_eq!(slice(text, p.transforms[0].span), "{s.len}");
}

#[test]
fn format_strings_in_script() {
    let text = r#"route { xlog("L_INFO", "from \"$fu\" to $(tu{uri.user}) cost 5$ [$ci]\n"); }"#;
    let (s, _) = parse_str("t", text).unwrap();
    let StmtKind::Call(c) = &s.routes[0].body[0].kind else {
        panic!()
    };
    let ExprKind::Str(f) = &c.args[1].kind else {
        panic!()
    };
    let kinds: Vec<String> = f
        .parts
        .iter()
        .map(|p| match p {
            FmtPart::Text(t) => format!("T{t:?}"),
            FmtPart::Pv(p) => format!("P{}", p.name),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            r#"T"from \"""#,
            "Pfu",
            r#"T"\" to ""#,
            "Ptu",
            r#"T" cost 5$ [""#,
            "Pci",
            r#"T"]\n""#
        ]
    );
    // Spans of PVs inside strings point at the source, escapes included.
    let FmtPart::Pv(tu) = &f.parts[3] else {
        panic!()
    };
    assert_eq!(slice(text, tu.span), "$(tu{uri.user})");
    assert_eq!(slice(text, tu.transforms[0].span), "{uri.user}");
    let FmtPart::Pv(ci) = &f.parts[5] else {
        panic!()
    };
    assert_eq!(slice(text, ci.span), "$ci");
    assert!(!f.is_literal());
    let ExprKind::Str(level) = &c.args[0].kind else {
        panic!()
    };
    assert!(level.is_literal());
}

#[test]
fn parse_pv_api() {
    let p = parse_pv("$var(x)").unwrap();
    assert_eq!((p.name.as_str(), text_inner(&p)), ("var", Some("x")));
    assert_eq!(p.span, Span::new(FileId(0), 0, 7));
    assert!(parse_pv("var(x)").is_err());
    assert!(parse_pv("$var(x) junk").unwrap_err().contains("junk"));
    assert!(parse_pv("$(ru{uri.user}").is_err());
    assert!(parse_pv("").is_err());
}

#[test]
fn parse_format_api() {
    let f = parse_format("user=$fU, x=$(avp(a)[*])").unwrap();
    assert_eq!(f.parts.len(), 4);
    assert_eq!(f.parts[0], FmtPart::Text("user=".into()));
    assert!(matches!(&f.parts[3], FmtPart::Pv(p) if p.index == Some(PvIndex::All)));
    // No escape processing: Lua already did it.
    assert_eq!(parse_format(r"a\n").unwrap().text, r"a\n");
    assert!(parse_format("$hdr(X").is_err());
}
