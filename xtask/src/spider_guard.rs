//! `cargo xtask spider-guard [--data DIR]`: every Spider dev gold query must be accepted
//! by the read-only SQLite guard, and its rewritten SQL (row limit 1,000,000) must return
//! exactly the same rows, in the same order, as the original on the Spider databases.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use dbqa_core::Dialect;
use dbqa_guard::{Guard, GuardConfig};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags};

const MAX_ROWS: u64 = 1_000_000;

/// One gold query's rows, or the error SQLite gave.
type Outcome = Result<Vec<Vec<Value>>, String>;

fn run_query(conn: &Connection, sql: &str) -> Outcome {
    let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
    let columns = statement.column_count();
    let mut rows = statement.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            values.push(row.get::<_, Value>(i).map_err(|e| e.to_string())?);
        }
        out.push(values);
    }
    Ok(out)
}

fn sorted(outcome: &Outcome) -> Option<Vec<String>> {
    let rows = outcome.as_ref().ok()?;
    let mut keys: Vec<String> = rows.iter().map(|row| format!("{row:?}")).collect();
    keys.sort();
    Some(keys)
}

fn data_dir(args: &[String]) -> Result<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/spider-dev");
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--data" => dir = PathBuf::from(args.next().context("--data needs a directory")?),
            other => {
                bail!("unknown argument `{other}`: usage: cargo xtask spider-guard [--data DIR]")
            }
        }
    }
    Ok(dir)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let dir = data_dir(args)?;
    let dev_path = dir.join("dev.json");
    let text = std::fs::read_to_string(&dev_path)
        .with_context(|| format!("cannot read {}: pass --data DIR", dev_path.display()))?;
    let examples: Vec<serde_json::Value> = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JSON list", dev_path.display()))?;
    let guard = Guard::new(GuardConfig::new(Dialect::Sqlite).max_rows(Some(MAX_ROWS)));

    let mut connections: HashMap<String, Connection> = HashMap::new();
    let (mut accepted, mut rejected, mut same, mut different, mut both_failed) = (0, 0, 0, 0, 0);
    let (mut rewritten, mut reordered) = (0, 0);
    for (i, example) in examples.iter().enumerate() {
        let (Some(db), Some(gold)) = (example["db_id"].as_str(), example["query"].as_str()) else {
            bail!("example {i} has no db_id or query");
        };
        let checked = match guard.check(gold) {
            Ok(accepted) => accepted,
            Err(rejection) => {
                rejected += 1;
                println!("REJECTED #{i} [{db}] {gold}\n  {rejection}");
                continue;
            }
        };
        accepted += 1;
        if checked.sql != gold {
            rewritten += 1;
        }
        if !connections.contains_key(db) {
            let path = dir.join("database").join(db).join(format!("{db}.sqlite"));
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .with_context(|| format!("cannot open {}", path.display()))?;
            connections.insert(db.to_string(), conn);
        }
        let conn = &connections[db];
        match (run_query(conn, gold), run_query(conn, &checked.sql)) {
            (Ok(original), Ok(guarded)) if original == guarded => same += 1,
            (Err(_), Err(_)) => {
                both_failed += 1;
                println!("GOLD FAILS #{i} [{db}] {gold}");
            }
            // Without ORDER BY the order is unspecified, and SQLite may pick another plan
            // once a LIMIT is present: the same rows in another order still match.
            (original, guarded)
                if !gold.to_ascii_uppercase().contains("ORDER BY")
                    && sorted(&original).is_some()
                    && sorted(&original) == sorted(&guarded) =>
            {
                reordered += 1;
                println!("REORDERED (no ORDER BY) #{i} [{db}] {gold}");
            }
            (original, guarded) => {
                different += 1;
                let describe = |o: &Outcome| match o {
                    Ok(rows) => format!("{} rows", rows.len()),
                    Err(e) => format!("error: {e}"),
                };
                println!(
                    "MISMATCH #{i} [{db}]\n  gold:    {gold}\n  guarded: {}\n  {} vs {}",
                    checked.sql,
                    describe(&original),
                    describe(&guarded),
                );
            }
        }
    }
    println!(
        "spider-guard: {} gold queries, {accepted} accepted, {rejected} rejected; \
         {same} same rows in the same order, {reordered} same rows in another order (no ORDER BY), {different} different, {both_failed} failing in SQLite either way; \
         {rewritten} rendered differently from the input",
        examples.len()
    );
    if rejected > 0 || different > 0 || both_failed > 0 {
        bail!(
            "spider-guard failed: {rejected} rejected, {different} with different rows, {both_failed} not runnable"
        );
    }
    Ok(())
}
