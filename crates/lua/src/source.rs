//! The script file's text as Lua's own `luaL_loadfile` (which OpenSIPS uses) reads it: a
//! UTF-8 byte-order mark is dropped and a first line starting with `#` (`#!/usr/bin/lua`) is
//! skipped, its newline kept so that error lines still match the file.

/// `code` ready for `Lua::load`.
pub(crate) fn script_text(mut code: Vec<u8>) -> Vec<u8> {
    if code.starts_with(b"\xEF\xBB\xBF") {
        code.drain(..3);
    }
    if code.first() == Some(&b'#') {
        let end = code.iter().position(|&b| b == b'\n').unwrap_or(code.len());
        code.drain(..end);
    }
    code
}

#[cfg(test)]
mod tests {
    use super::script_text;

    #[test]
    fn a_shebang_line_is_skipped_and_its_newline_kept() {
        assert_eq!(
            script_text(b"#!/usr/bin/lua\nx = 1\n".to_vec()),
            b"\nx = 1\n".to_vec()
        );
        assert_eq!(script_text(b"# only a comment".to_vec()), b"".to_vec());
    }

    #[test]
    fn a_byte_order_mark_is_dropped_before_the_shebang_check() {
        assert_eq!(
            script_text(b"\xEF\xBB\xBF#!lua\nx = 1".to_vec()),
            b"\nx = 1".to_vec()
        );
        assert_eq!(
            script_text(b"\xEF\xBB\xBFx = 1".to_vec()),
            b"x = 1".to_vec()
        );
    }

    #[test]
    fn other_scripts_are_unchanged() {
        let code = b"-- comment\nx = '#'\n".to_vec();
        assert_eq!(script_text(code.clone()), code);
    }
}
