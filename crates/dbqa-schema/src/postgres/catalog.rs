//! Schema extraction from `pg_catalog` with four bulk queries (relations, columns,
//! constraints, indexes), whatever the number of tables.

use std::collections::HashMap;

use dbqa_core::{Column, Dialect, ForeignKey, Index, PrimaryKey, Schema, Table, TableKind};
use sqlx::Row;
use sqlx::postgres::PgConnection;

/// The schemas to describe: the configured ones, else `current_schemas(false)` (the
/// `search_path`, normally `public`). System schemas are never described.
const SCOPE: &str = "n.nspname = ANY(COALESCE($1::text[], current_schemas(false)::text[]))
    AND n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

/// Relations: tables, partitioned tables, views, materialized views, foreign tables
/// (partitions are described through their parent).
pub(super) fn relations_sql() -> String {
    format!(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, d.description,
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_description d
           ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {SCOPE}
         ORDER BY n.nspname, c.relname"
    )
}

/// Columns in declared order, with type, nullability, default and comment.
pub(super) fn columns_sql() -> String {
    format!(
        "SELECT a.attrelid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), d.description
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
         LEFT JOIN pg_description d
           ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
         WHERE a.attnum > 0 AND NOT a.attisdropped
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {SCOPE}
         ORDER BY a.attrelid, a.attnum"
    )
}

/// Primary and foreign keys with their columns in key order.
pub(super) fn constraints_sql() -> String {
    format!(
        "SELECT con.conrelid::int8, con.conname::text, con.contype::text,
                ARRAY(SELECT a.attname::text
                      FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.ord),
                fn.nspname::text, fc.relname::text,
                ARRAY(SELECT a.attname::text
                      FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                      ORDER BY k.ord)
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_class fc ON fc.oid = con.confrelid
         LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
         WHERE con.contype IN ('p', 'f') AND {SCOPE}
         ORDER BY con.conrelid, con.conname"
    )
}

/// Indexes other than the primary key's, with key columns (or expressions) in order.
pub(super) fn indexes_sql() -> String {
    format!(
        "SELECT i.indrelid::int8, ic.relname::text, i.indisunique,
                ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                      FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k)
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_class c ON c.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT i.indisprimary AND {SCOPE}
         ORDER BY i.indrelid, ic.relname"
    )
}

/// Reads the schema in four queries.
pub(super) async fn extract(
    conn: &mut PgConnection,
    schemas: &[String],
) -> Result<Schema, sqlx::Error> {
    let scope: Option<Vec<String>> = (!schemas.is_empty()).then(|| schemas.to_vec());
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql)).bind(scope.clone());

    let mut tables = Vec::new();
    let mut by_oid = HashMap::new();
    for row in run(relations_sql()).fetch_all(&mut *conn).await? {
        let oid: i64 = row.try_get(0)?;
        let kind: String = row.try_get(3)?;
        by_oid.insert(oid, tables.len());
        tables.push(Table {
            schema: Some(row.try_get(1)?),
            name: row.try_get(2)?,
            kind: if matches!(kind.as_str(), "v" | "m") {
                TableKind::View
            } else {
                TableKind::Table
            },
            columns: Vec::new(),
            primary_key: None,
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            comment: row.try_get(4)?,
            definition: row.try_get(5)?,
        });
    }

    for row in run(columns_sql()).fetch_all(&mut *conn).await? {
        let Some(table) = by_oid
            .get(&row.try_get::<i64, _>(0)?)
            .and_then(|&i| tables.get_mut(i))
        else {
            continue;
        };
        let not_null: bool = row.try_get(3)?;
        table.columns.push(Column {
            name: row.try_get(1)?,
            data_type: row.try_get(2)?,
            nullable: !not_null,
            default: row.try_get(4)?,
            comment: row.try_get(5)?,
        });
    }

    for row in run(constraints_sql()).fetch_all(&mut *conn).await? {
        let Some(table) = by_oid
            .get(&row.try_get::<i64, _>(0)?)
            .and_then(|&i| tables.get_mut(i))
        else {
            continue;
        };
        let name: String = row.try_get(1)?;
        let kind: String = row.try_get(2)?;
        let columns: Vec<String> = row.try_get(3)?;
        if kind == "p" {
            table.primary_key = Some(PrimaryKey {
                name: Some(name),
                columns,
            });
        } else {
            table.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns,
                referenced_schema: row.try_get(4)?,
                referenced_table: row.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
                referenced_columns: row.try_get(6)?,
            });
        }
    }

    for row in run(indexes_sql()).fetch_all(&mut *conn).await? {
        let Some(table) = by_oid
            .get(&row.try_get::<i64, _>(0)?)
            .and_then(|&i| tables.get_mut(i))
        else {
            continue;
        };
        table.indexes.push(Index {
            name: row.try_get(1)?,
            unique: row.try_get(2)?,
            columns: row.try_get(3)?,
        });
    }

    Ok(Schema {
        dialect: Dialect::Postgres,
        tables,
    })
}
