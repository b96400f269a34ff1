//! MySQL/MariaDB binary-protocol values to [`Value`]s, by the column's type.
//!
//! Known types decode through sqlx; anything else (or a value sqlx cannot decode, such as
//! a zero date) falls back to its raw text, or its bytes when they are not text. Nothing
//! here returns an error or panics.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use dbqa_core::Value;
use sqlx::mysql::MySqlRow;
use sqlx::mysql::types::MySqlTime;
use sqlx::{Column, Row, TypeInfo, ValueRef};

use crate::bounds::{Budget, CELL_CAP};

/// Decodes every cell of a row; a cell longer than the cell cap is cut before it is
/// copied (kept as text, or bytes when it is not text).
pub(super) fn row(row: &MySqlRow, budget: &mut Budget) -> Vec<Value> {
    row.columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let info = column.type_info();
            let name = info.name();
            // sqlx names `_bin`-collated text (MariaDB's JSON columns among them) like
            // binary data; only the `binary` character set (collation 63) is really bytes.
            let name = match text_name_of_blob(name) {
                Some(text) if !format!("{info:?}").contains("Collation(63)") => text,
                _ => name,
            };
            match row.try_get_unchecked::<&[u8], _>(i) {
                Ok(bytes) if bytes.len() > CELL_CAP => budget.text_or_bytes(bytes),
                _ => cell(row, i, name),
            }
        })
        .collect()
}

/// The text type a binary-looking type name stands for when its charset is not binary.
fn text_name_of_blob(name: &str) -> Option<&'static str> {
    Some(match name {
        "BINARY" => "CHAR",
        "VARBINARY" => "VARCHAR",
        "TINYBLOB" => "TINYTEXT",
        "BLOB" => "TEXT",
        "MEDIUMBLOB" => "MEDIUMTEXT",
        "LONGBLOB" => "LONGTEXT",
        _ => return None,
    })
}

fn cell(row: &MySqlRow, i: usize, type_name: &str) -> Value {
    match row.try_get_raw(i) {
        Ok(raw) if raw.is_null() => return Value::Null,
        Ok(_) => {}
        Err(_) => return Value::Null,
    }
    typed(row, i, type_name).unwrap_or_else(|| fallback(row, i, type_name))
}

fn typed(row: &MySqlRow, i: usize, type_name: &str) -> Option<Value> {
    Some(match type_name {
        "BOOLEAN" => Value::Bool(row.try_get_unchecked::<i64, _>(i).ok()? != 0),
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => {
            Value::Int(row.try_get_unchecked::<i64, _>(i).ok()?)
        }
        "TINYINT UNSIGNED" | "SMALLINT UNSIGNED" | "MEDIUMINT UNSIGNED" | "INT UNSIGNED"
        | "BIGINT UNSIGNED" => {
            let v = row.try_get_unchecked::<u64, _>(i).ok()?;
            i64::try_from(v).map(Value::Int).unwrap_or(Value::UInt(v))
        }
        "FLOAT" => Value::Float(row.try_get_unchecked::<f32, _>(i).ok()?.into()),
        "DOUBLE" => Value::Float(row.try_get_unchecked::<f64, _>(i).ok()?),
        "DECIMAL" => Value::decimal(&raw_text(row, i)?),
        "DATE" => Value::Date(
            row.try_get_unchecked::<NaiveDate, _>(i)
                .ok()?
                .format("%Y-%m-%d")
                .to_string(),
        ),
        "DATETIME" => Value::Timestamp(
            row.try_get_unchecked::<NaiveDateTime, _>(i)
                .ok()?
                .format("%Y-%m-%dT%H:%M:%S%.f")
                .to_string(),
        ),
        // The connection's time zone is UTC (sqlx sets it), so TIMESTAMP values are UTC.
        "TIMESTAMP" => Value::TimestampTz(
            row.try_get_unchecked::<DateTime<Utc>, _>(i)
                .ok()?
                .format("%Y-%m-%dT%H:%M:%S%.f+00:00")
                .to_string(),
        ),
        "TIME" => Value::Time(row.try_get_unchecked::<MySqlTime, _>(i).ok()?.to_string()),
        "BIT" => Value::UInt(bits(row.try_get_unchecked::<&[u8], _>(i).ok()?)),
        "JSON" => {
            Value::Json(serde_json::from_slice(row.try_get_unchecked::<&[u8], _>(i).ok()?).ok()?)
        }
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" | "GEOMETRY" => {
            Value::Bytes(row.try_get_unchecked::<&[u8], _>(i).ok()?.to_vec())
        }
        "NULL" => Value::Null,
        _ => return None,
    })
}

/// The raw bytes as text, when they are UTF-8.
fn raw_text(row: &MySqlRow, i: usize) -> Option<String> {
    let bytes = row.try_get_unchecked::<&[u8], _>(i).ok()?;
    std::str::from_utf8(bytes).ok().map(str::to_string)
}

fn fallback(row: &MySqlRow, i: usize, type_name: &str) -> Value {
    let bytes = row.try_get_unchecked::<&[u8], _>(i).unwrap_or_default();
    // A zero date arrives as an empty binary value.
    match (type_name, bytes.is_empty()) {
        ("DATE", true) => return Value::Date(String::from("0000-00-00")),
        ("DATETIME" | "TIMESTAMP", true) => {
            return Value::Timestamp(String::from("0000-00-00T00:00:00"));
        }
        _ => {}
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::Text(text.to_string()),
        Err(_) => Value::Bytes(bytes.to_vec()),
    }
}

/// A `BIT(n)` value: big-endian bytes.
pub(super) fn bits(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .take(8)
        .rev()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_big_endian() {
        assert_eq!(bits(&[0xa5]), 165);
        assert_eq!(bits(&[0x01, 0x00]), 256);
        assert_eq!(bits(&[]), 0);
    }
}
