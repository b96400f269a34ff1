//! Schema extraction from the `sys` catalog views with five bulk queries (objects,
//! columns, primary keys, foreign keys, indexes), limited to the configured schemas
//! (default `dbo`); comments come from `MS_Description` extended properties.

use std::collections::HashMap;

use dbqa_core::{Column, Dialect, ForeignKey, Index, PrimaryKey, Schema, Table, TableKind};
use futures::TryStreamExt;
use tiberius::{Client, Row};
use tokio::net::TcpStream;
use tokio_util::compat::Compat;

/// The schema filter: `@P1` is a comma-separated list of schema names.
const SCOPE: &str = "s.name IN (SELECT value FROM STRING_SPLIT(@P1, ','))
    AND s.name NOT IN ('sys', 'INFORMATION_SCHEMA', 'guest')";

/// Tables and views with their descriptions.
pub(crate) fn objects_sql() -> String {
    format!(
        "SELECT s.name, o.name, RTRIM(o.type), CAST(ep.value AS nvarchar(max)), m.definition
         FROM sys.objects o
         JOIN sys.schemas s ON s.schema_id = o.schema_id
         LEFT JOIN sys.sql_modules m ON m.object_id = o.object_id
         LEFT JOIN sys.extended_properties ep
           ON ep.class = 1 AND ep.major_id = o.object_id AND ep.minor_id = 0
          AND ep.name = 'MS_Description'
         WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0 AND {SCOPE}
         ORDER BY s.name, o.name"
    )
}

/// Columns with their declared type, nullability, default and description.
pub(crate) fn columns_sql() -> String {
    format!(
        "SELECT s.name, o.name, c.name,
                CASE
                  WHEN t.name IN ('varchar', 'char', 'varbinary', 'binary')
                    THEN t.name + '(' + CASE WHEN c.max_length = -1 THEN 'max'
                                             ELSE CAST(c.max_length AS varchar(10)) END + ')'
                  WHEN t.name IN ('nvarchar', 'nchar')
                    THEN t.name + '(' + CASE WHEN c.max_length = -1 THEN 'max'
                                             ELSE CAST(c.max_length / 2 AS varchar(10)) END + ')'
                  WHEN t.name IN ('decimal', 'numeric')
                    THEN t.name + '(' + CAST(c.precision AS varchar(10)) + ','
                         + CAST(c.scale AS varchar(10)) + ')'
                  ELSE t.name
                END,
                c.is_nullable, dc.definition, CAST(ep.value AS nvarchar(max))
         FROM sys.columns c
         JOIN sys.objects o ON o.object_id = c.object_id
         JOIN sys.schemas s ON s.schema_id = o.schema_id
         JOIN sys.types t ON t.user_type_id = c.user_type_id
         LEFT JOIN sys.default_constraints dc ON dc.object_id = c.default_object_id
         LEFT JOIN sys.extended_properties ep
           ON ep.class = 1 AND ep.major_id = c.object_id AND ep.minor_id = c.column_id
          AND ep.name = 'MS_Description'
         WHERE o.type IN ('U', 'V') AND o.is_ms_shipped = 0 AND {SCOPE}
         ORDER BY s.name, o.name, c.column_id"
    )
}

/// Primary-key columns in key order.
pub(crate) fn primary_keys_sql() -> String {
    format!(
        "SELECT s.name, o.name, kc.name, c.name
         FROM sys.key_constraints kc
         JOIN sys.objects o ON o.object_id = kc.parent_object_id
         JOIN sys.schemas s ON s.schema_id = o.schema_id
         JOIN sys.index_columns ic
           ON ic.object_id = kc.parent_object_id AND ic.index_id = kc.unique_index_id
         JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
         WHERE kc.type = 'PK' AND {SCOPE}
         ORDER BY s.name, o.name, ic.key_ordinal"
    )
}

/// Foreign-key column pairs in key order.
pub(crate) fn foreign_keys_sql() -> String {
    format!(
        "SELECT s.name, o.name, fk.name, pc.name, rs.name, ro.name, rc.name
         FROM sys.foreign_keys fk
         JOIN sys.foreign_key_columns fkc ON fkc.constraint_object_id = fk.object_id
         JOIN sys.objects o ON o.object_id = fk.parent_object_id
         JOIN sys.schemas s ON s.schema_id = o.schema_id
         JOIN sys.columns pc
           ON pc.object_id = fkc.parent_object_id AND pc.column_id = fkc.parent_column_id
         JOIN sys.objects ro ON ro.object_id = fk.referenced_object_id
         JOIN sys.schemas rs ON rs.schema_id = ro.schema_id
         JOIN sys.columns rc
           ON rc.object_id = fkc.referenced_object_id AND rc.column_id = fkc.referenced_column_id
         WHERE {SCOPE}
         ORDER BY s.name, o.name, fk.name, fkc.constraint_column_id"
    )
}

/// Index key columns in order, the primary key's and heaps excluded.
pub(crate) fn indexes_sql() -> String {
    format!(
        "SELECT s.name, o.name, i.name, i.is_unique, c.name
         FROM sys.indexes i
         JOIN sys.objects o ON o.object_id = i.object_id
         JOIN sys.schemas s ON s.schema_id = o.schema_id
         JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id
         JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
         WHERE i.is_primary_key = 0 AND i.type > 0 AND ic.is_included_column = 0
           AND o.is_ms_shipped = 0 AND {SCOPE}
         ORDER BY s.name, o.name, i.name, ic.key_ordinal"
    )
}

async fn fetch(
    client: &mut Client<Compat<TcpStream>>,
    sql: String,
    schemas: &str,
) -> tiberius::Result<Vec<Row>> {
    client
        .query(sql, &[&schemas])
        .await?
        .into_row_stream()
        .try_collect()
        .await
}

fn text(row: &Row, i: usize) -> Option<String> {
    row.try_get::<&str, _>(i).ok().flatten().map(str::to_string)
}

fn text_or_empty(row: &Row, i: usize) -> String {
    text(row, i).unwrap_or_default()
}

/// Reads the schema in five queries.
pub(super) async fn extract(
    client: &mut Client<Compat<TcpStream>>,
    schemas: &str,
) -> tiberius::Result<Schema> {
    let mut tables: Vec<Table> = Vec::new();
    let mut by_name: HashMap<(String, String), usize> = HashMap::new();
    for row in fetch(client, objects_sql(), schemas).await? {
        let (schema, name) = (text_or_empty(&row, 0), text_or_empty(&row, 1));
        by_name.insert((schema.clone(), name.clone()), tables.len());
        tables.push(Table {
            schema: Some(schema),
            name,
            kind: if text_or_empty(&row, 2) == "V" {
                TableKind::View
            } else {
                TableKind::Table
            },
            columns: Vec::new(),
            primary_key: None,
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            comment: text(&row, 3),
            definition: text(&row, 4),
        });
    }
    let find = |row: &Row| {
        by_name
            .get(&(text_or_empty(row, 0), text_or_empty(row, 1)))
            .copied()
    };

    for row in fetch(client, columns_sql(), schemas).await? {
        let Some(table) = find(&row).and_then(|i| tables.get_mut(i)) else {
            continue;
        };
        table.columns.push(Column {
            name: text_or_empty(&row, 2),
            data_type: text_or_empty(&row, 3),
            nullable: row.try_get::<bool, _>(4).ok().flatten().unwrap_or(true),
            default: text(&row, 5),
            comment: text(&row, 6),
        });
    }

    for row in fetch(client, primary_keys_sql(), schemas).await? {
        let Some(table) = find(&row).and_then(|i| tables.get_mut(i)) else {
            continue;
        };
        table
            .primary_key
            .get_or_insert_with(|| PrimaryKey {
                name: text(&row, 2),
                columns: Vec::new(),
            })
            .columns
            .push(text_or_empty(&row, 3));
    }

    for row in fetch(client, foreign_keys_sql(), schemas).await? {
        let Some(table) = find(&row).and_then(|i| tables.get_mut(i)) else {
            continue;
        };
        let name = text(&row, 2);
        let (column, referenced) = (text_or_empty(&row, 3), text_or_empty(&row, 6));
        match table.foreign_keys.iter_mut().find(|fk| fk.name == name) {
            Some(fk) => {
                fk.columns.push(column);
                fk.referenced_columns.push(referenced);
            }
            None => table.foreign_keys.push(ForeignKey {
                name,
                columns: vec![column],
                referenced_schema: text(&row, 4),
                referenced_table: text_or_empty(&row, 5),
                referenced_columns: vec![referenced],
            }),
        }
    }

    for row in fetch(client, indexes_sql(), schemas).await? {
        let Some(table) = find(&row).and_then(|i| tables.get_mut(i)) else {
            continue;
        };
        let name = text_or_empty(&row, 2);
        let column = text_or_empty(&row, 4);
        match table.indexes.iter_mut().find(|ix| ix.name == name) {
            Some(index) => index.columns.push(column),
            None => table.indexes.push(Index {
                name,
                columns: vec![column],
                unique: row.try_get::<bool, _>(3).ok().flatten().unwrap_or(false),
            }),
        }
    }

    Ok(Schema {
        dialect: Dialect::MsSql,
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_sql_is_bulk_and_scoped() {
        let all = [
            objects_sql(),
            columns_sql(),
            primary_keys_sql(),
            foreign_keys_sql(),
            indexes_sql(),
        ];
        for sql in &all {
            assert!(sql.contains("STRING_SPLIT(@P1, ',')"), "{sql}");
            assert!(
                sql.contains("NOT IN ('sys', 'INFORMATION_SCHEMA', 'guest')"),
                "{sql}"
            );
            assert!(sql.contains("ORDER BY"), "{sql}");
        }
        let check = |sql: &str, views: &[&str]| {
            for view in views {
                assert!(sql.contains(view), "{view} missing from {sql}");
            }
        };
        check(
            &all[0],
            &["sys.objects", "sys.extended_properties", "'MS_Description'"],
        );
        check(
            &all[1],
            &[
                "sys.columns",
                "sys.types",
                "sys.default_constraints",
                "c.column_id",
            ],
        );
        check(
            &all[2],
            &["sys.key_constraints", "kc.type = 'PK'", "ic.key_ordinal"],
        );
        check(
            &all[3],
            &["sys.foreign_key_columns", "fkc.constraint_column_id"],
        );
        check(
            &all[4],
            &[
                "sys.indexes",
                "i.is_primary_key = 0",
                "is_included_column = 0",
            ],
        );
    }
}
