//! Execution accuracy the way Spider's evaluation scores it: run the predicted and the
//! gold SQL on the same database and compare the results as multisets of rows (as lists
//! when the gold query has `ORDER BY`), allowing the predicted columns in another order.
//!
//! Values compare by type class: NULL, number, text, blob. Integers and floats are one
//! class (`3` equals `3.0`) and floats compare to six significant digits; text compares
//! exactly (Spider does not fold case).

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// A result: rows of canonical cell keys.
pub(crate) type Table = Vec<Vec<String>>;

/// Longest a query may run before it is interrupted.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);
/// Column permutations tried at most per comparison.
const MAX_PERMUTATIONS: usize = 5_000;

/// The canonical key of one value: equal keys are equal values for scoring.
pub(crate) fn cell_key(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "null".to_string(),
        ValueRef::Integer(i) => format!("n:{i}"),
        ValueRef::Real(f) => float_key(f),
        ValueRef::Text(t) => format!("t:{}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            format!("b:{hex}")
        }
    }
}

fn float_key(f: f64) -> String {
    if !f.is_finite() {
        return format!("n:{f}");
    }
    let rounded = f.round();
    if (f - rounded).abs() <= 1e-9 * f.abs().max(1.0) && rounded.abs() < 9.0e15 {
        // Integral: the same key as the integer (`3.0` equals `3`); `-0` is `0`.
        return format!("n:{}", rounded as i64);
    }
    format!("n:{f:.5e}")
}

/// Runs `sql` on the SQLite file at `path`, opened read-only, and returns its rows.
/// Errors are the database's message.
pub(crate) fn execute(path: &Path, sql: &str) -> Result<Table, String> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| e.to_string())?;
    let interrupt = conn.get_interrupt_handle();
    let (done, wait) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(QUERY_TIMEOUT) {
            interrupt.interrupt();
        }
    });
    let result = rows(&conn, sql);
    let _ = done.send(());
    let _ = watchdog.join();
    result.map_err(|e| e.to_string())
}

fn rows(conn: &Connection, sql: &str) -> rusqlite::Result<Table> {
    let mut statement = conn.prepare(sql)?;
    let columns = statement.column_count();
    let mut out = Vec::new();
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(columns);
        for i in 0..columns {
            cells.push(cell_key(row.get_ref(i)?));
        }
        out.push(cells);
    }
    Ok(out)
}

/// Whether the gold query orders its result (Spider: `order by` anywhere in it).
pub(crate) fn gold_orders(gold_sql: &str) -> bool {
    let words: Vec<String> = gold_sql
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    words.windows(2).any(|w| w[0] == "order" && w[1] == "by")
}

/// Whether `predicted` denotes the same result as `gold`.
pub(crate) fn results_match(gold: &Table, predicted: &Table, order_matters: bool) -> bool {
    if gold.is_empty() && predicted.is_empty() {
        return true;
    }
    if gold.len() != predicted.len() {
        return false;
    }
    let width = gold.first().map_or(0, Vec::len);
    if predicted.first().map_or(0, Vec::len) != width {
        return false;
    }
    if gold.iter().chain(predicted).any(|row| row.len() != width) {
        return false;
    }
    // Candidate predicted columns per gold column: those with the same multiset of values.
    let gold_columns: Vec<Vec<&str>> = (0..width).map(|i| column(gold, i)).collect();
    let predicted_columns: Vec<Vec<&str>> = (0..width).map(|i| column(predicted, i)).collect();
    let candidates: Vec<Vec<usize>> = gold_columns
        .iter()
        .map(|g| (0..width).filter(|&j| predicted_columns[j] == *g).collect())
        .collect();
    if candidates.iter().any(Vec::is_empty) {
        return false;
    }
    let mut sorted_gold = gold.clone();
    if !order_matters {
        sorted_gold.sort_unstable();
    }
    let mut tried = 0usize;
    let mut perm = Vec::with_capacity(width);
    search(
        &candidates,
        &mut perm,
        &mut tried,
        &mut |perm: &[usize]| {
            let mut permuted: Table = predicted
                .iter()
                .map(|row| perm.iter().map(|&j| row[j].clone()).collect())
                .collect();
            if !order_matters {
                permuted.sort_unstable();
            }
            permuted == sorted_gold
        },
    )
}

fn column(t: &Table, i: usize) -> Vec<&str> {
    let mut values: Vec<&str> = t.iter().map(|r| r[i].as_str()).collect();
    values.sort_unstable();
    values
}

/// Depth-first over injective column assignments; true as soon as one matches.
fn search(
    candidates: &[Vec<usize>],
    perm: &mut Vec<usize>,
    tried: &mut usize,
    check: &mut dyn FnMut(&[usize]) -> bool,
) -> bool {
    if *tried >= MAX_PERMUTATIONS {
        return false;
    }
    let Some(options) = candidates.get(perm.len()) else {
        *tried += 1;
        return check(perm);
    };
    for &j in options {
        if perm.contains(&j) {
            continue;
        }
        perm.push(j);
        let found = search(candidates, perm, tried, check);
        perm.pop();
        if found {
            return true;
        }
    }
    false
}
