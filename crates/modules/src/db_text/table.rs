//! The db_text table format: one file per table, a header line of `name(type[,flags])`
//! columns separated by spaces, then one row per line with `:`-separated values (`\:`,
//! `\\`, `\n`, `\r`, `\t` escaped; an empty value is NULL in a column flagged `null`).

/// A column of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its declared type (`int`, `string`, `str`, `double`, `blob`, `datetime`).
    pub kind: String,
    /// Whether an empty value reads as NULL.
    pub nullable: bool,
}

/// A whole table in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The columns, in file order.
    pub columns: Vec<Column>,
    /// The rows, one value per column.
    pub rows: Vec<Vec<Option<String>>>,
}

const TYPES: &[&str] = &["int", "double", "string", "str", "blob", "datetime"];

impl Table {
    /// Parses a table file; the error names the line.
    pub fn parse(text: &str) -> Result<Table, String> {
        let mut lines = text.lines().enumerate();
        let header = loop {
            match lines.next() {
                Some((_, l)) if l.trim().is_empty() => continue,
                Some((_, l)) => break l,
                None => return Err("empty table file (no header line)".into()),
            }
        };
        let columns = header
            .split_whitespace()
            .map(parse_column)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("line 1: {e}"))?;
        let mut rows = Vec::new();
        for (n, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let values = split_row(line);
            if values.len() != columns.len() {
                return Err(format!(
                    "line {}: {} values for {} columns",
                    n + 1,
                    values.len(),
                    columns.len()
                ));
            }
            rows.push(
                values
                    .into_iter()
                    .zip(&columns)
                    .map(|(v, c)| (!(v.is_empty() && c.nullable)).then_some(v))
                    .collect(),
            );
        }
        Ok(Table { columns, rows })
    }

    /// The index of a column (case-insensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(name))
    }
}

fn parse_column(token: &str) -> Result<Column, String> {
    let (name, rest) = token
        .split_once('(')
        .ok_or_else(|| format!("column {token:?} has no (type)"))?;
    let inner = rest
        .strip_suffix(')')
        .ok_or_else(|| format!("column {token:?} lacks ')'"))?;
    let mut parts = inner.split(',').map(str::trim);
    let kind = parts.next().unwrap_or("").to_ascii_lowercase();
    if !TYPES.contains(&kind.as_str()) {
        return Err(format!("column {name:?} has unknown type {kind:?}"));
    }
    let mut nullable = false;
    for flag in parts {
        match flag {
            "null" => nullable = true,
            "auto" => {}
            other => return Err(format!("column {name:?} has unknown flag {other:?}")),
        }
    }
    Ok(Column {
        name: name.to_owned(),
        kind,
        nullable,
    })
}

fn split_row(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let cur = out.last_mut().expect("one value");
                match chars.next() {
                    Some('n') => cur.push('\n'),
                    Some('r') => cur.push('\r'),
                    Some('t') => cur.push('\t'),
                    Some('0') => cur.push('\0'),
                    Some(other) => cur.push(other),
                    None => cur.push('\\'),
                }
            }
            ':' => out.push(String::new()),
            _ => out.last_mut().expect("one value").push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_opensips_layout() {
        let t = Table::parse(
            "id(int,auto) username(string) domain(string) password(string) ha1(string) rpid(string,null)\n\
1:alice:example.com:se\\:cret:abc:\n\
\n\
2:bob:example.com:pw::sip\\:+123@x\n",
        )
        .unwrap();
        assert_eq!(t.columns.len(), 6);
        assert_eq!(t.column("HA1"), Some(4));
        assert_eq!(t.rows[0][3].as_deref(), Some("se:cret"));
        assert_eq!(t.rows[0][5], None);
        assert_eq!(t.rows[1][4].as_deref(), Some(""));
        assert_eq!(t.rows[1][5].as_deref(), Some("sip:+123@x"));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(Table::parse("").is_err());
        assert!(Table::parse("a(blah)\n")
            .unwrap_err()
            .contains("unknown type"));
        assert!(Table::parse("a(int) b(str)\n1\n")
            .unwrap_err()
            .contains("line 2"));
        assert!(Table::parse("a\n").is_err());
    }
}
