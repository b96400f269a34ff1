//! Query results: typed columns and cells that serialise to plain JSON.

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

/// A result column: its name and the database's type name for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    /// Column label as returned by the database.
    pub name: String,
    /// The database's type name (`INT8`, `varchar`, `TEXT`, …); empty when unknown.
    #[serde(default)]
    pub type_name: String,
}

/// A single cell of a result.
///
/// Serialises to the natural JSON value: numbers as numbers, exact decimals as strings
/// (no float rounding), dates and times as ISO 8601 strings, bytes as a `\x`-prefixed hex
/// string, JSON as itself. Deserialising plain JSON gives back the closest variant, which
/// is what the result cache needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// An exact decimal, kept as its text form (`"12.50"`).
    Decimal(String),
    /// Text.
    Text(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A calendar date (`2024-03-01`).
    Date(String),
    /// A time of day (`13:45:00`).
    Time(String),
    /// A timestamp without time zone (`2024-03-01T13:45:00`).
    Timestamp(String),
    /// A timestamp with time zone, in RFC 3339 (`2024-03-01T13:45:00+00:00`).
    TimestampTz(String),
    /// An interval or duration, as the database prints it.
    Interval(String),
    /// A UUID in its hyphenated form.
    Uuid(String),
    /// A JSON document.
    Json(serde_json::Value),
    /// An array of values.
    Array(Vec<Value>),
}

impl Value {
    /// An exact decimal from the database's text, without the padding zeros of its scale
    /// (`34.5000000000000000` → `34.5`, `100.00` → `100`): the same number, as people
    /// write it.
    ///
    /// ```
    /// use dbqa_core::Value;
    /// assert_eq!(Value::decimal("34.5000"), Value::Decimal("34.5".into()));
    /// assert_eq!(Value::decimal("-0.000"), Value::Decimal("0".into()));
    /// assert_eq!(Value::decimal("1200"), Value::Decimal("1200".into()));
    /// ```
    pub fn decimal(text: &str) -> Value {
        let text = text.trim();
        let Some((whole, fraction)) = text.split_once('.') else {
            return Value::Decimal(text.to_string());
        };
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Value::Decimal(text.to_string());
        }
        let fraction = fraction.trim_end_matches('0');
        let number = if fraction.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{fraction}")
        };
        let zero = number.trim_start_matches('-').bytes().all(|b| b == b'0');
        Value::Decimal(if zero { String::from("0") } else { number })
    }

    /// Whether the value is NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as the JSON a user would expect to see.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::UInt(u) => J::from(*u),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or_else(|| J::String(f.to_string())),
            Value::Decimal(s)
            | Value::Text(s)
            | Value::Date(s)
            | Value::Time(s)
            | Value::Timestamp(s)
            | Value::TimestampTz(s)
            | Value::Interval(s)
            | Value::Uuid(s) => J::String(s.clone()),
            Value::Bytes(b) => J::String(format!("\\x{}", hex::encode(b))),
            Value::Json(j) => j.clone(),
            Value::Array(items) => J::Array(items.iter().map(Value::to_json).collect()),
        }
    }

    /// The value from plain JSON (the inverse of [`Value::to_json`] up to type detail).
    pub fn from_json(json: serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(b),
            J::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::UInt(u)
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            J::String(s) => Value::Text(s),
            J::Array(items) => Value::Array(items.into_iter().map(Value::from_json).collect()),
            obj @ J::Object(_) => Value::Json(obj),
        }
    }

    /// The value as display text, as a table cell or an answer template would show it.
    /// NULL renders as `NULL`.
    pub fn to_display_string(&self) -> String {
        match self {
            Value::Null => String::from("NULL"),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::UInt(u) => u.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Decimal(s)
            | Value::Text(s)
            | Value::Date(s)
            | Value::Time(s)
            | Value::Timestamp(s)
            | Value::TimestampTz(s)
            | Value::Interval(s)
            | Value::Uuid(s) => s.clone(),
            Value::Bytes(b) => format!("\\x{}", hex::encode(b)),
            Value::Json(j) => j.to_string(),
            Value::Array(items) => {
                let inner: Vec<String> = items.iter().map(Value::to_display_string).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }
}

/// Prints floats without a trailing `.0` noise for whole numbers and with at most
/// 6 decimals otherwise, trimming zeros (`2.5`, `3`, `0.333333`).
fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    let text = format!("{f:.6}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// Any JSON value: the schema `Value` has over HTTP (dbqa-server's OpenAPI document).
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Value {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
            .description(Some(
                "A cell: null, a boolean, a number, a string (exact decimals, dates, times, \
                 timestamps, intervals, UUIDs; bytes as `\\x` hex) or a JSON document",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Value {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Value")
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer)
            .map(Value::from_json)
            .map_err(de::Error::custom)
    }
}

/// The rows a query returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Rows {
    /// Result columns, in order.
    pub columns: Vec<ColumnInfo>,
    /// Result rows; each has one value per column.
    pub rows: Vec<Vec<Value>>,
    /// True when the query had more rows than the row limit and the rest were not fetched.
    pub truncated: bool,
}

impl Rows {
    /// Number of rows held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no rows were returned.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Column names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_serialise_to_plain_json() {
        let rows = Rows {
            columns: vec![ColumnInfo {
                name: "a".into(),
                type_name: "INT".into(),
            }],
            rows: vec![vec![
                Value::Int(3),
                Value::Decimal("12.50".into()),
                Value::Null,
                Value::Bytes(vec![0xde, 0xad]),
                Value::Float(f64::NAN),
                Value::Json(serde_json::json!({"k": [1]})),
            ]],
            truncated: true,
        };
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(
            json["rows"][0],
            serde_json::json!([3, "12.50", null, "\\xdead", "NaN", {"k": [1]}])
        );
        assert_eq!(json["truncated"], true);
    }

    #[test]
    fn json_round_trip_keeps_values() {
        let values = vec![
            Value::Int(-4),
            Value::UInt(u64::MAX),
            Value::Float(2.5),
            Value::Text("x".into()),
            Value::Bool(false),
            Value::Null,
        ];
        let text = serde_json::to_string(&values).unwrap();
        let back: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, values);
    }

    #[test]
    fn display_strings_are_human() {
        assert_eq!(Value::Float(3.0).to_display_string(), "3");
        assert_eq!(Value::Float(2.5).to_display_string(), "2.5");
        assert_eq!(Value::Float(1.0 / 3.0).to_display_string(), "0.333333");
        assert_eq!(Value::Null.to_display_string(), "NULL");
    }
}
