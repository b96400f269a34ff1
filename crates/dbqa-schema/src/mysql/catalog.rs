//! Schema extraction from `information_schema` with four bulk queries (tables, columns,
//! key columns, index columns), whatever the number of tables.

use std::collections::HashMap;

use dbqa_core::{Column, Dialect, ForeignKey, Index, PrimaryKey, Schema, Table, TableKind};
use sqlx::Row;
use sqlx::mysql::{MySqlConnection, MySqlRow};

/// Schemas that are never described.
const SYSTEM: &str = "('mysql', 'information_schema', 'performance_schema', 'sys')";

/// Tables and views with their comments.
pub(super) fn tables_sql() -> String {
    format!(
        "SELECT CAST(t.TABLE_SCHEMA AS CHAR), CAST(t.TABLE_NAME AS CHAR),
                CAST(t.TABLE_TYPE AS CHAR), CAST(t.TABLE_COMMENT AS CHAR),
                CAST(v.VIEW_DEFINITION AS CHAR)
         FROM information_schema.TABLES t
         LEFT JOIN information_schema.VIEWS v
           ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME
         WHERE FIND_IN_SET(t.TABLE_SCHEMA, ?) AND t.TABLE_SCHEMA NOT IN {SYSTEM}
         ORDER BY t.TABLE_SCHEMA, t.TABLE_NAME"
    )
}

/// Columns in declared order.
pub(super) fn columns_sql() -> String {
    format!(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR),
                CAST(COLUMN_TYPE AS CHAR), CAST(IS_NULLABLE AS CHAR), CAST(COLUMN_DEFAULT AS CHAR),
                CAST(COLUMN_COMMENT AS CHAR)
         FROM information_schema.COLUMNS
         WHERE FIND_IN_SET(TABLE_SCHEMA, ?) AND TABLE_SCHEMA NOT IN {SYSTEM}
         ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"
    )
}

/// Primary-key and foreign-key columns in key order.
pub(super) fn keys_sql() -> String {
    format!(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(CONSTRAINT_NAME AS CHAR),
                CAST(COLUMN_NAME AS CHAR), CAST(REFERENCED_TABLE_SCHEMA AS CHAR),
                CAST(REFERENCED_TABLE_NAME AS CHAR), CAST(REFERENCED_COLUMN_NAME AS CHAR)
         FROM information_schema.KEY_COLUMN_USAGE
         WHERE FIND_IN_SET(TABLE_SCHEMA, ?) AND TABLE_SCHEMA NOT IN {SYSTEM}
           AND (CONSTRAINT_NAME = 'PRIMARY' OR REFERENCED_TABLE_NAME IS NOT NULL)
         ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
    )
}

/// Index columns in index order, the primary key's excluded.
pub(super) fn indexes_sql() -> String {
    format!(
        "SELECT CAST(TABLE_SCHEMA AS CHAR), CAST(TABLE_NAME AS CHAR), CAST(INDEX_NAME AS CHAR),
                CAST(NON_UNIQUE AS SIGNED), CAST(COLUMN_NAME AS CHAR)
         FROM information_schema.STATISTICS
         WHERE FIND_IN_SET(TABLE_SCHEMA, ?) AND TABLE_SCHEMA NOT IN {SYSTEM}
           AND INDEX_NAME <> 'PRIMARY'
         ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
    )
}

/// A text cell (any string or binary type), `None` for NULL.
fn text(row: &MySqlRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    let bytes: Option<&[u8]> = row.try_get_unchecked(i)?;
    Ok(bytes.map(|b| String::from_utf8_lossy(b).into_owned()))
}

fn text_or_empty(row: &MySqlRow, i: usize) -> Result<String, sqlx::Error> {
    Ok(text(row, i)?.unwrap_or_default())
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// Reads the schema in four queries (plus `DATABASE()` when no schema is configured).
pub(super) async fn extract(
    conn: &mut MySqlConnection,
    schemas: &[String],
) -> Result<Schema, sqlx::Error> {
    let scope = if schemas.is_empty() {
        let current: Option<String> = sqlx::query_scalar("SELECT DATABASE()")
            .fetch_one(&mut *conn)
            .await?;
        current.unwrap_or_default()
    } else {
        schemas.join(",")
    };
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql)).bind(scope.clone());

    let mut tables: Vec<Table> = Vec::new();
    let mut by_name: HashMap<(String, String), usize> = HashMap::new();
    for row in run(tables_sql()).fetch_all(&mut *conn).await? {
        let schema = text_or_empty(&row, 0)?;
        let name = text_or_empty(&row, 1)?;
        let view = text_or_empty(&row, 2)?.contains("VIEW");
        by_name.insert((schema.clone(), name.clone()), tables.len());
        tables.push(Table {
            schema: Some(schema),
            name,
            kind: if view {
                TableKind::View
            } else {
                TableKind::Table
            },
            columns: Vec::new(),
            primary_key: None,
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            // Views carry the comment `VIEW`, which says nothing.
            comment: non_empty(text(&row, 3)?).filter(|_| !view),
            definition: non_empty(text(&row, 4)?).filter(|_| view),
        });
    }
    let find = |row: &MySqlRow| -> Result<Option<usize>, sqlx::Error> {
        Ok(by_name
            .get(&(text_or_empty(row, 0)?, text_or_empty(row, 1)?))
            .copied())
    };

    for row in run(columns_sql()).fetch_all(&mut *conn).await? {
        let Some(table) = find(&row)?.and_then(|i| tables.get_mut(i)) else {
            continue;
        };
        // MariaDB spells "no default" as the text NULL (a string default is quoted).
        let default = text(&row, 5)?.filter(|d| d != "NULL");
        table.columns.push(Column {
            name: text_or_empty(&row, 2)?,
            data_type: text_or_empty(&row, 3)?,
            nullable: text_or_empty(&row, 4)? == "YES",
            default,
            comment: non_empty(text(&row, 6)?),
        });
    }

    for row in run(keys_sql()).fetch_all(&mut *conn).await? {
        let Some(table) = find(&row)?.and_then(|i| tables.get_mut(i)) else {
            continue;
        };
        let constraint = text_or_empty(&row, 2)?;
        let column = text_or_empty(&row, 3)?;
        if constraint == "PRIMARY" {
            table
                .primary_key
                .get_or_insert_with(|| PrimaryKey {
                    name: Some(constraint.clone()),
                    columns: Vec::new(),
                })
                .columns
                .push(column);
            continue;
        }
        let referenced = text_or_empty(&row, 6)?;
        match table
            .foreign_keys
            .iter_mut()
            .find(|fk| fk.name.as_deref() == Some(constraint.as_str()))
        {
            Some(fk) => {
                fk.columns.push(column);
                fk.referenced_columns.push(referenced);
            }
            None => table.foreign_keys.push(ForeignKey {
                name: Some(constraint),
                columns: vec![column],
                referenced_schema: text(&row, 4)?,
                referenced_table: text_or_empty(&row, 5)?,
                referenced_columns: vec![referenced],
            }),
        }
    }

    for row in run(indexes_sql()).fetch_all(&mut *conn).await? {
        let Some(table) = find(&row)?.and_then(|i| tables.get_mut(i)) else {
            continue;
        };
        let name = text_or_empty(&row, 2)?;
        let non_unique: i64 = row.try_get(3)?;
        // Expression indexes (MySQL 8) have no column name.
        let column = text(&row, 4)?.unwrap_or_else(|| String::from("(expression)"));
        match table.indexes.iter_mut().find(|ix| ix.name == name) {
            Some(index) => index.columns.push(column),
            None => table.indexes.push(Index {
                name,
                columns: vec![column],
                unique: non_unique == 0,
            }),
        }
    }

    Ok(Schema {
        dialect: Dialect::MySql,
        tables,
    })
}
