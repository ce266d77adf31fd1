//! `include_file` / `import_file`: relative resolution, spans in the
//! included file, missing files.

use siplua_script::*;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn included_items_merge_in_order() {
    let (s, map) = parse_file(&data("with_include.cfg")).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(s.globals[0].name, "log_level");
    assert_eq!(s.modules[0].name, "tm");
    assert_eq!(s.modparams[0].param, "fr_timeout");
    // The module came from the included file: its span says so.
    let (file, line, col) = map.line_col(s.modules[0].span);
    assert!(file.ends_with("inc/modules.cfg"), "{file}");
    assert_eq!((line, col), (2, 1));
    assert_eq!(s.routes.len(), 2);
    let relay = &s.routes[1];
    assert_eq!(relay.name.as_deref(), Some("relay"));
    assert!(map.name(relay.span.file).ends_with("inc/relay.cfg"));
}

#[test]
fn include_inside_a_block_resolves_relative_to_the_includer() {
    let (s, map) = parse_file(&data("with_include.cfg")).unwrap();
    let body = &s.routes[1].body;
    assert_eq!(body.len(), 2);
    assert!(matches!(&body[0].kind, StmtKind::Call(c) if c.name == "t_relay"));
    assert_eq!(body[1].kind, StmtKind::Exit);
    let (file, line, col) = map.line_col(body[1].span);
    assert!(file.ends_with("inc/relay_body.cfg"), "{file}");
    assert_eq!((line, col), (2, 1));
}

#[test]
fn error_in_included_file_names_that_file() {
    let errs = parse_file(&data("broken_include.cfg")).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    let loc = errs[0].location.as_ref().unwrap();
    assert!(loc.file.ends_with("inc/broken.cfg"), "{}", loc.file);
    assert_eq!((loc.line, loc.col), (2, 6));
    assert_eq!(errs[0].message, "expected `;`, found `}`");
}

#[test]
fn missing_include_file_is_an_error_at_the_directive() {
    let errs = parse_file(&data("missing_include.cfg")).unwrap_err();
    let loc = errs[0].location.as_ref().unwrap();
    assert!(loc.file.ends_with("missing_include.cfg"));
    assert_eq!((loc.line, loc.col), (2, 1));
    assert!(
        errs[0].message.contains("inc/nope.cfg"),
        "{}",
        errs[0].message
    );
}

#[test]
fn self_include_is_bounded() {
    let errs = parse_file(&data("self_include.cfg")).unwrap_err();
    assert!(errs[0].message.contains("nested too deeply"), "{errs:?}");
}

#[test]
fn include_needs_a_string() {
    let errs = parse_str("x.cfg", "include_file foo\n").unwrap_err();
    assert_eq!(
        errs[0].to_string(),
        "x.cfg:1:14: expected a quoted file name after `include_file`"
    );
}

#[test]
fn missing_main_file() {
    let errs = parse_file(&data("no_such_file.cfg")).unwrap_err();
    assert!(errs[0].to_string().contains("no_such_file.cfg"));
}
