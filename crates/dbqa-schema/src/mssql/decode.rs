//! Tiberius cells to [`Value`]s. Nothing here returns an error or panics: a value chrono
//! cannot represent becomes NULL-free text of what tiberius holds.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use dbqa_core::Value;
use tiberius::{ColumnData, ColumnType, FromSql};

/// Decodes one cell.
pub(super) fn cell(data: &ColumnData<'static>) -> Value {
    match data {
        ColumnData::U8(v) => v.map(|v| Value::Int(v.into())).unwrap_or(Value::Null),
        ColumnData::I16(v) => v.map(|v| Value::Int(v.into())).unwrap_or(Value::Null),
        ColumnData::I32(v) => v.map(|v| Value::Int(v.into())).unwrap_or(Value::Null),
        ColumnData::I64(v) => v.map(Value::Int).unwrap_or(Value::Null),
        ColumnData::F32(v) => v.map(|v| Value::Float(v.into())).unwrap_or(Value::Null),
        ColumnData::F64(v) => v.map(Value::Float).unwrap_or(Value::Null),
        ColumnData::Bit(v) => v.map(Value::Bool).unwrap_or(Value::Null),
        ColumnData::String(v) => v
            .as_ref()
            .map(|s| Value::Text(s.to_string()))
            .unwrap_or(Value::Null),
        ColumnData::Guid(v) => v
            .map(|g| Value::Uuid(g.hyphenated().to_string()))
            .unwrap_or(Value::Null),
        ColumnData::Binary(v) => v
            .as_ref()
            .map(|b| Value::Bytes(b.to_vec()))
            .unwrap_or(Value::Null),
        ColumnData::Numeric(v) => v
            .map(|n| Value::decimal(&n.to_string()))
            .unwrap_or(Value::Null),
        ColumnData::Xml(v) => v
            .as_ref()
            .map(|x| Value::Text(x.to_string()))
            .unwrap_or(Value::Null),
        ColumnData::DateTime(_) | ColumnData::SmallDateTime(_) | ColumnData::DateTime2(_) => {
            chrono_value(NaiveDateTime::from_sql(data), |t| {
                Value::Timestamp(t.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
            })
        }
        ColumnData::Date(_) => chrono_value(NaiveDate::from_sql(data), |d| {
            Value::Date(d.format("%Y-%m-%d").to_string())
        }),
        ColumnData::Time(_) => chrono_value(NaiveTime::from_sql(data), |t| {
            Value::Time(t.format("%H:%M:%S%.f").to_string())
        }),
        ColumnData::DateTimeOffset(_) => {
            chrono_value(DateTime::<FixedOffset>::from_sql(data), |t| {
                Value::TimestampTz(t.format("%Y-%m-%dT%H:%M:%S%.f%:z").to_string())
            })
        }
    }
}

fn chrono_value<T>(decoded: tiberius::Result<Option<T>>, wrap: impl FnOnce(T) -> Value) -> Value {
    match decoded {
        Ok(Some(v)) => wrap(v),
        Ok(None) => Value::Null,
        Err(e) => Value::Text(format!("(unreadable date/time: {e})")),
    }
}

/// The SQL Server type name of a result column.
pub(super) fn type_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Null => "null",
        ColumnType::Bit | ColumnType::Bitn => "bit",
        ColumnType::Int1 => "tinyint",
        ColumnType::Int2 => "smallint",
        ColumnType::Int4 => "int",
        ColumnType::Int8 => "bigint",
        ColumnType::Intn => "int",
        ColumnType::Float4 => "real",
        ColumnType::Float8 | ColumnType::Floatn => "float",
        ColumnType::Money | ColumnType::Money4 => "money",
        ColumnType::Datetime4 => "smalldatetime",
        ColumnType::Datetime | ColumnType::Datetimen => "datetime",
        ColumnType::Datetime2 => "datetime2",
        ColumnType::DatetimeOffsetn => "datetimeoffset",
        ColumnType::Daten => "date",
        ColumnType::Timen => "time",
        ColumnType::Guid => "uniqueidentifier",
        ColumnType::Decimaln => "decimal",
        ColumnType::Numericn => "numeric",
        ColumnType::BigVarBin => "varbinary",
        ColumnType::BigBinary => "binary",
        ColumnType::BigVarChar => "varchar",
        ColumnType::BigChar => "char",
        ColumnType::NVarchar => "nvarchar",
        ColumnType::NChar => "nchar",
        ColumnType::Xml => "xml",
        ColumnType::Udt => "udt",
        ColumnType::Text => "text",
        ColumnType::Image => "image",
        ColumnType::NText => "ntext",
        ColumnType::SSVariant => "sql_variant",
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use tiberius::numeric::Numeric;

    #[test]
    fn cells_map_to_values() {
        let check = |data: ColumnData<'static>, expect: Value| assert_eq!(cell(&data), expect);
        check(ColumnData::I32(Some(7)), Value::Int(7));
        check(ColumnData::I32(None), Value::Null);
        check(ColumnData::U8(Some(255)), Value::Int(255));
        check(ColumnData::Bit(Some(true)), Value::Bool(true));
        check(ColumnData::F64(Some(2.5)), Value::Float(2.5));
        check(
            ColumnData::String(Some(Cow::Borrowed("héllo"))),
            Value::Text("héllo".into()),
        );
        check(
            ColumnData::Numeric(Some(Numeric::new_with_scale(1250, 2))),
            Value::Decimal("12.5".into()),
        );
        check(
            ColumnData::Binary(Some(Cow::Owned(vec![0xde, 0xad]))),
            Value::Bytes(vec![0xde, 0xad]),
        );
        let guid = tiberius::Uuid::nil();
        check(
            ColumnData::Guid(Some(guid)),
            Value::Uuid("00000000-0000-0000-0000-000000000000".into()),
        );
        check(
            ColumnData::Date(Some(tiberius::time::Date::new(0))),
            Value::Date("0001-01-01".into()),
        );
    }

    #[test]
    fn type_names_are_sql_server_names() {
        assert_eq!(type_name(ColumnType::NVarchar), "nvarchar");
        assert_eq!(type_name(ColumnType::Guid), "uniqueidentifier");
    }
}
