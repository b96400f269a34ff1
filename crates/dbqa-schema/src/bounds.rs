//! Result bounds every connector applies while it fetches: a long cell is cut before it
//! is copied (the driver's buffer is borrowed, only the kept prefix is copied), and the
//! running size of the rows is held to `ExecuteOptions::max_bytes`. Either cut marks the
//! result `truncated`, like the row limit does.

use dbqa_core::{Rows, Value};

/// The longest cell kept, in bytes: enough for any text a person reads in an answer.
pub(crate) const CELL_CAP: usize = 64 * 1024;

/// What a cut text cell ends with.
const ELLIPSIS: &str = "…";

/// Bytes a row is charged beyond its cells (vectors, tags).
const ROW_OVERHEAD: usize = 16;

/// The running size of one result.
#[derive(Debug)]
pub(crate) struct Budget {
    max_bytes: usize,
    cell_cap: usize,
    used: usize,
    /// Set when a cell was cut or a row did not fit.
    pub(crate) cut: bool,
}

impl Budget {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            cell_cap: CELL_CAP.min(max_bytes.max(1)),
            used: 0,
            cut: false,
        }
    }

    /// Text cut to the cell cap (on a character boundary) before it is copied.
    pub(crate) fn text(&mut self, text: &str) -> Value {
        if text.len() <= self.cell_cap {
            return Value::Text(text.to_string());
        }
        self.cut = true;
        let mut end = self.cell_cap.saturating_sub(ELLIPSIS.len());
        while end > 0 && !text.is_char_boundary(end) {
            end -= 1;
        }
        Value::Text(format!("{}{ELLIPSIS}", &text[..end]))
    }

    /// Bytes as text when they are UTF-8, else as bytes; either cut to the cell cap
    /// before being copied. (The SQLite connector's cells come typed: only the server
    /// connectors read raw bytes.)
    #[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
    pub(crate) fn text_or_bytes(&mut self, bytes: &[u8]) -> Value {
        if bytes.len() <= self.cell_cap {
            return match std::str::from_utf8(bytes) {
                Ok(text) => Value::Text(text.to_string()),
                Err(_) => Value::Bytes(bytes.to_vec()),
            };
        }
        // Cut first; the cut may split the last character of text, nothing more.
        let head = &bytes[..self.cell_cap];
        let valid = valid_prefix(head);
        match std::str::from_utf8(&head[..valid]) {
            Ok(text) if head.len() - valid < 4 => {
                self.cut = true;
                let mut end = valid.saturating_sub(ELLIPSIS.len());
                while end > 0 && !text.is_char_boundary(end) {
                    end -= 1;
                }
                Value::Text(format!("{}{ELLIPSIS}", &text[..end]))
            }
            _ => self.bytes(bytes),
        }
    }

    /// Bytes cut to the cell cap before they are copied.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Value {
        if bytes.len() > self.cell_cap {
            self.cut = true;
        }
        Value::Bytes(bytes[..bytes.len().min(self.cell_cap)].to_vec())
    }

    /// Cuts an already decoded value that is too long (drivers that hand over owned
    /// values).
    #[cfg(feature = "mssql")]
    pub(crate) fn value(&mut self, value: Value) -> Value {
        match value {
            Value::Text(text) if text.len() > self.cell_cap => self.text(&text),
            Value::Bytes(bytes) if bytes.len() > self.cell_cap => self.bytes(&bytes),
            other => other,
        }
    }

    /// Whether `row` still fits; a row that does not is left out and the result is cut.
    pub(crate) fn admit(&mut self, row: &[Value]) -> bool {
        let size = ROW_OVERHEAD + row.iter().map(value_size).sum::<usize>();
        if self.used + size > self.max_bytes {
            self.cut = true;
            return false;
        }
        self.used += size;
        true
    }

    /// Marks `rows` truncated when anything was cut.
    pub(crate) fn finish(&self, rows: &mut Rows) {
        rows.truncated |= self.cut;
    }
}

/// How many leading bytes of `bytes` are valid UTF-8.
#[cfg_attr(not(any(feature = "postgres", feature = "mysql")), allow(dead_code))]
fn valid_prefix(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    }
}

/// The bytes a value holds, roughly as it is kept in memory.
pub(crate) fn value_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::UInt(_) | Value::Float(_) => 8,
        Value::Decimal(s)
        | Value::Text(s)
        | Value::Date(s)
        | Value::Time(s)
        | Value::Timestamp(s)
        | Value::TimestampTz(s)
        | Value::Interval(s)
        | Value::Uuid(s) => s.len() + 8,
        Value::Bytes(b) => b.len() + 8,
        Value::Json(j) => j.to_string().len(),
        Value::Array(items) => items.iter().map(value_size).sum::<usize>() + 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_cells_are_cut_on_character_boundaries() {
        let mut budget = Budget::new(1 << 20);
        let long = "é".repeat(CELL_CAP);
        let Value::Text(cut) = budget.text(&long) else {
            panic!("text expected");
        };
        assert!(
            cut.len() <= CELL_CAP && cut.ends_with(ELLIPSIS),
            "{}",
            cut.len()
        );
        assert!(budget.cut);
        let mut fresh = Budget::new(1 << 20);
        assert_eq!(fresh.text("short"), Value::Text("short".into()));
        assert!(!fresh.cut);
    }

    #[test]
    fn bytes_that_are_text_become_text_even_when_cut() {
        let mut budget = Budget::new(1 << 20);
        let long = "ab".repeat(CELL_CAP);
        match budget.text_or_bytes(long.as_bytes()) {
            Value::Text(t) => assert!(t.ends_with(ELLIPSIS) && t.len() <= CELL_CAP + 3),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Budget::new(100).text_or_bytes(&[0xff, 0xfe]),
            Value::Bytes(vec![0xff, 0xfe])
        );
    }

    #[test]
    fn rows_stop_at_the_byte_bound() {
        let mut budget = Budget::new(120);
        let row = vec![Value::Text("x".repeat(30))];
        assert!(budget.admit(&row));
        assert!(budget.admit(&row));
        assert!(!budget.admit(&row));
        let mut rows = Rows::default();
        budget.finish(&mut rows);
        assert!(rows.truncated);
    }
}
