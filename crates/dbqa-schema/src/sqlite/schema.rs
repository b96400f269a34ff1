//! Schema extraction: four bulk catalog queries (objects, columns, foreign keys, indexes)
//! joining `sqlite_master` with the pragma table-valued functions, whatever the number of
//! tables.
//!
//! Rules:
//! - tables and views, skipping SQLite's internal `sqlite_%` tables, ordered by name;
//! - columns in declared order, generated columns included, virtual-table hidden columns
//!   skipped; primary-key columns are reported NOT NULL (SQLite tolerates NULLs in
//!   non-integer key columns for historical reasons, but no sane data has them);
//! - foreign keys in declaration order; a key declared without target columns
//!   (`REFERENCES t`) references the target's primary key, which is resolved here;
//! - indexes: those made by `CREATE INDEX` and those backing `UNIQUE` constraints
//!   (named `sqlite_autoindex_…`); the implicit primary-key index is left out (the key is
//!   in `primary_key`). Expression columns show as `<expr>`.

use std::collections::HashMap;

use dbqa_core::{
    Column, DatabaseError, Dialect, ForeignKey, Index, PrimaryKey, Schema, Table, TableKind,
};
use rusqlite::Connection;

use super::conn::map_error;

const OBJECTS: &str = "SELECT name, type, CASE WHEN type = 'view' THEN sql END FROM sqlite_master \
     WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY name";

const COLUMNS: &str = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk \
     FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS p \
     WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
       AND p.hidden <> 1 \
     ORDER BY m.name, p.cid";

const FOREIGN_KEYS: &str = "SELECT m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\" \
     FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     ORDER BY m.name, f.id DESC, f.seq";

const INDEXES: &str = "SELECT m.name, l.name, l.\"unique\", i.name \
     FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS l \
       JOIN pragma_index_info(l.name) AS i \
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND l.origin <> 'pk' \
     ORDER BY m.name, l.name, i.seqno";

/// Reads the whole schema of the `main` database.
pub(crate) fn extract(conn: &Connection) -> Result<Schema, DatabaseError> {
    extract_inner(conn).map_err(|e| map_error(e, None))
}

fn extract_inner(conn: &Connection) -> rusqlite::Result<Schema> {
    let mut tables: Vec<Table> = Vec::new();
    let mut position: HashMap<String, usize> = HashMap::new();
    {
        let mut stmt = conn.prepare(OBJECTS)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let kind: String = row.get(1)?;
            position.insert(name.clone(), tables.len());
            tables.push(Table {
                schema: None,
                name,
                kind: if kind == "view" {
                    TableKind::View
                } else {
                    TableKind::Table
                },
                columns: Vec::new(),
                primary_key: None,
                foreign_keys: Vec::new(),
                indexes: Vec::new(),
                comment: None,
                definition: row.get(2)?,
            });
        }
    }

    // Columns, and primary-key positions to sort afterwards.
    let mut pk_parts: HashMap<usize, Vec<(i64, String)>> = HashMap::new();
    {
        let mut stmt = conn.prepare(COLUMNS)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            let Some(&at) = position.get(&table) else {
                continue;
            };
            let name: String = row.get(1)?;
            let not_null: bool = row.get(3)?;
            let pk: i64 = row.get(5)?;
            if pk > 0 {
                pk_parts.entry(at).or_default().push((pk, name.clone()));
            }
            if let Some(t) = tables.get_mut(at) {
                t.columns.push(Column {
                    name,
                    data_type: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    nullable: !not_null && pk == 0,
                    default: row.get(4)?,
                    comment: None,
                });
            }
        }
    }
    for (at, mut parts) in pk_parts {
        parts.sort();
        if let Some(t) = tables.get_mut(at) {
            t.primary_key = Some(PrimaryKey {
                name: None,
                columns: parts.into_iter().map(|(_, c)| c).collect(),
            });
        }
    }

    // Foreign keys: rows of one key share (table, id) and come in seq order.
    {
        let mut stmt = conn.prepare(FOREIGN_KEYS)?;
        let mut rows = stmt.query([])?;
        let mut keys: Vec<(usize, i64, ForeignKey, Vec<Option<String>>)> = Vec::new();
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            let Some(&at) = position.get(&table) else {
                continue;
            };
            let id: i64 = row.get(1)?;
            let from: String = row.get(4)?;
            let to: Option<String> = row.get(5)?;
            match keys.last_mut() {
                Some((last_at, last_id, key, targets)) if *last_at == at && *last_id == id => {
                    key.columns.push(from);
                    targets.push(to);
                }
                _ => keys.push((
                    at,
                    id,
                    ForeignKey {
                        name: None,
                        columns: vec![from],
                        referenced_schema: None,
                        referenced_table: row.get(3)?,
                        referenced_columns: Vec::new(),
                    },
                    vec![to],
                )),
            }
        }
        for (at, _, mut key, targets) in keys {
            resolve_target(&tables, &mut key, targets);
            if let Some(t) = tables.get_mut(at) {
                t.foreign_keys.push(key);
            }
        }
    }

    // Indexes: rows of one index come together, in column order.
    {
        let mut stmt = conn.prepare(INDEXES)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            let Some(&at) = position.get(&table) else {
                continue;
            };
            let index: String = row.get(1)?;
            let unique: bool = row.get(2)?;
            let column: Option<String> = row.get(3)?;
            let column = column.unwrap_or_else(|| String::from("<expr>"));
            let Some(t) = tables.get_mut(at) else {
                continue;
            };
            match t.indexes.last_mut() {
                Some(last) if last.name == index => last.columns.push(column),
                _ => t.indexes.push(Index {
                    name: index,
                    columns: vec![column],
                    unique,
                }),
            }
        }
    }

    Ok(Schema {
        dialect: Dialect::Sqlite,
        tables,
    })
}

/// Fills `referenced_columns`, using the target's primary key where the declaration named
/// no columns, and spells the target table as the database stores it.
fn resolve_target(tables: &[Table], key: &mut ForeignKey, targets: Vec<Option<String>>) {
    let target = tables
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(&key.referenced_table));
    if let Some(t) = target {
        key.referenced_table = t.name.clone();
    }
    let pk: &[String] = target
        .and_then(|t| t.primary_key.as_ref())
        .map_or(&[], |pk| pk.columns.as_slice());
    key.referenced_columns = targets
        .into_iter()
        .enumerate()
        .map(|(i, to)| match to {
            Some(column) => column,
            // `REFERENCES t` with no columns: the i-th column of t's primary key (an
            // INTEGER PRIMARY KEY rowid alias is a primary key too). If t has no primary
            // key the declaration is broken; name the rowid, which is what SQLite would use.
            None => pk.get(i).cloned().unwrap_or_else(|| String::from("rowid")),
        })
        .collect();
}
