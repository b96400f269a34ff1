//! PostgreSQL binary values to [`Value`]s, keyed by type OID.
//!
//! Decoding works on the raw wire bytes so that every type, arrays of any element type
//! included, gets a value: an unknown type becomes its text when its bytes are text (enums,
//! `citext`, domains over text, …), else its bytes. Nothing here returns an error or panics.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use dbqa_core::Value;

use crate::bounds::{Budget, CELL_CAP};
use sqlx::postgres::{PgRow, PgTypeKind, PgValueFormat, PgValueRef};
use sqlx::{Row, ValueRef};

/// Decodes every cell of a row; a cell longer than the cell cap is cut before it is
/// copied (only text, bytes, JSON and arrays grow that long; they are kept as text or
/// bytes then).
pub(super) fn row(row: &PgRow, budget: &mut Budget) -> Vec<Value> {
    (0..row.len())
        .map(|i| match row.try_get_raw(i) {
            Ok(raw) if raw.as_bytes().is_ok_and(|b| b.len() > CELL_CAP) => {
                budget.text_or_bytes(raw.as_bytes().unwrap_or_default())
            }
            Ok(raw) => cell(&raw),
            Err(_) => Value::Null,
        })
        .collect()
}

fn cell(raw: &PgValueRef<'_>) -> Value {
    if raw.is_null() {
        return Value::Null;
    }
    let Ok(bytes) = raw.as_bytes() else {
        return Value::Null;
    };
    if raw.format() == PgValueFormat::Text {
        return text_or_bytes(bytes);
    }
    let info = raw.type_info();
    let mut kind = info.kind().clone();
    let mut oid = info.oid().map(|o| o.0).unwrap_or(0);
    // Domains decode as their base type.
    while let PgTypeKind::Domain(base) = kind {
        oid = base.oid().map(|o| o.0).unwrap_or(0);
        kind = base.kind().clone();
    }
    match kind {
        PgTypeKind::Enum(_) => text_or_bytes(bytes),
        PgTypeKind::Array(_) => array(bytes).unwrap_or_else(|| Value::Bytes(bytes.to_vec())),
        _ => binary(oid, bytes),
    }
}

/// Decodes one binary value of type `oid`.
pub(super) fn binary(oid: u32, b: &[u8]) -> Value {
    decode_known(oid, b).unwrap_or_else(|| {
        if oid_is_array(oid) {
            array(b).unwrap_or_else(|| Value::Bytes(b.to_vec()))
        } else {
            text_or_bytes(b)
        }
    })
}

fn oid_is_array(oid: u32) -> bool {
    // The built-in array types the catalog knows by OID (1000–1270, 2951, 3807, …).
    matches!(oid, 1000..=1017 | 1021..=1028 | 1040 | 1041 | 1115 | 1182 | 1183 | 1185 | 1187 | 1231 | 1263 | 1270 | 199 | 651 | 2951 | 3807)
}

fn decode_known(oid: u32, b: &[u8]) -> Option<Value> {
    Some(match oid {
        16 => Value::Bool(*b.first()? != 0),
        18 => Value::Text(String::from_utf8_lossy(b).into_owned()),
        20 => Value::Int(i64::from_be_bytes(b.try_into().ok()?)),
        21 => Value::Int(i16::from_be_bytes(b.try_into().ok()?).into()),
        23 => Value::Int(i32::from_be_bytes(b.try_into().ok()?).into()),
        26 | 28 | 29 => Value::Int(u32::from_be_bytes(b.try_into().ok()?).into()),
        700 => Value::Float(f32::from_be_bytes(b.try_into().ok()?).into()),
        701 => Value::Float(f64::from_be_bytes(b.try_into().ok()?)),
        1700 => Value::decimal(&numeric(b)?),
        790 => Value::Decimal(money(i64::from_be_bytes(b.try_into().ok()?))),
        17 => Value::Bytes(b.to_vec()),
        114 => Value::Json(serde_json::from_slice(b).ok()?),
        3802 => Value::Json(serde_json::from_slice(b.get(1..)?).ok()?),
        1082 => Value::Date(date(i32::from_be_bytes(b.try_into().ok()?))),
        1083 => Value::Time(time(i64::from_be_bytes(b.try_into().ok()?))?),
        1266 => {
            let micros = i64::from_be_bytes(b.get(..8)?.try_into().ok()?);
            let west = i32::from_be_bytes(b.get(8..12)?.try_into().ok()?);
            Value::Time(format!("{}{}", time(micros)?, offset(-west)))
        }
        1114 => Value::Timestamp(timestamp(i64::from_be_bytes(b.try_into().ok()?), false)),
        1184 => Value::TimestampTz(timestamp(i64::from_be_bytes(b.try_into().ok()?), true)),
        1186 => {
            let micros = i64::from_be_bytes(b.get(..8)?.try_into().ok()?);
            let days = i32::from_be_bytes(b.get(8..12)?.try_into().ok()?);
            let months = i32::from_be_bytes(b.get(12..16)?.try_into().ok()?);
            Value::Interval(interval(months, days, micros))
        }
        2950 => Value::Uuid(uuid(b)?),
        869 | 650 => Value::Text(inet(b)?),
        829 | 774 => Value::Text(
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
        ),
        _ => return None,
    })
}

/// Text when the bytes are UTF-8, else the bytes.
fn text_or_bytes(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) => Value::Text(s.to_string()),
        Err(_) => Value::Bytes(b.to_vec()),
    }
}

/// The binary array format: dimensions, flags, element OID, per-dimension sizes, then
/// length-prefixed elements (-1 for NULL). Multi-dimensional arrays nest.
fn array(b: &[u8]) -> Option<Value> {
    let int = |at: usize| -> Option<i32> {
        Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    let ndim = usize::try_from(int(0)?).ok()?;
    let elem_oid = u32::from_be_bytes(b.get(8..12)?.try_into().ok()?);
    if ndim == 0 {
        return Some(Value::Array(Vec::new()));
    }
    let mut dims = Vec::with_capacity(ndim);
    for d in 0..ndim {
        dims.push(usize::try_from(int(12 + d * 8)?).ok()?);
    }
    let mut at = 12 + ndim * 8;
    let total: usize = dims.iter().try_fold(1usize, |acc, d| acc.checked_mul(*d))?;
    let mut items = Vec::with_capacity(total.min(1 << 16));
    for _ in 0..total {
        let len = int(at)?;
        at += 4;
        if len < 0 {
            items.push(Value::Null);
        } else {
            let len = usize::try_from(len).ok()?;
            items.push(binary(elem_oid, b.get(at..at + len)?));
            at += len;
        }
    }
    Some(nest(items, &dims))
}

/// Folds a flat element list into nested arrays by the given dimensions.
fn nest(items: Vec<Value>, dims: &[usize]) -> Value {
    match dims {
        [] | [_] => Value::Array(items),
        [_, inner @ ..] => {
            let chunk: usize = inner.iter().product::<usize>().max(1);
            let mut out = Vec::new();
            let mut iter = items.into_iter();
            loop {
                let part: Vec<Value> = iter.by_ref().take(chunk).collect();
                if part.is_empty() {
                    break;
                }
                out.push(nest(part, inner));
            }
            Value::Array(out)
        }
    }
}

/// The binary NUMERIC format as exact decimal text: digit count, weight (base-10000
/// exponent of the first digit), sign, display scale, then base-10000 digits.
fn numeric(b: &[u8]) -> Option<String> {
    let short = |at: usize| -> Option<u16> {
        Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
    };
    let ndigits = usize::from(short(0)?);
    let weight = i32::from(short(2)? as i16);
    let sign = short(4)?;
    let dscale = usize::from(short(6)?);
    match sign {
        0xC000 => return Some(String::from("NaN")),
        0xD000 => return Some(String::from("Infinity")),
        0xF000 => return Some(String::from("-Infinity")),
        _ => {}
    }
    let mut digits = Vec::with_capacity(ndigits);
    for i in 0..ndigits {
        digits.push(short(8 + i * 2)?);
    }
    // Integer part: groups with exponent weight..=0.
    let mut int_part = String::new();
    for k in 0..=weight.max(-1) {
        let group = usize::try_from(k)
            .ok()
            .and_then(|i| digits.get(i))
            .copied()
            .unwrap_or(0);
        if int_part.is_empty() {
            if group != 0 {
                int_part = group.to_string();
            }
        } else {
            int_part.push_str(&format!("{group:04}"));
        }
    }
    if int_part.is_empty() {
        int_part.push('0');
    }
    let mut frac = String::new();
    let first_frac = weight + 1; // index of the group just after the decimal point
    let mut idx = first_frac;
    while frac.len() < dscale {
        let group = usize::try_from(idx)
            .ok()
            .and_then(|i| digits.get(i))
            .copied()
            .unwrap_or(0);
        // Groups before the first stored digit (negative weight) are zeros.
        let group = if idx < 0 { 0 } else { group };
        frac.push_str(&format!("{group:04}"));
        idx += 1;
    }
    frac.truncate(dscale);
    let mut out = String::new();
    if sign == 0x4000 {
        out.push('-');
    }
    out.push_str(&int_part);
    if dscale > 0 {
        out.push('.');
        out.push_str(&frac);
    }
    Some(out)
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

fn date(days: i32) -> String {
    match days {
        i32::MAX => String::from("infinity"),
        i32::MIN => String::from("-infinity"),
        _ => epoch()
            .date()
            .checked_add_signed(TimeDelta::try_days(days.into()).unwrap_or(TimeDelta::MAX))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| days.to_string()),
    }
}

fn time(micros: i64) -> Option<String> {
    let secs = u32::try_from(micros.div_euclid(1_000_000)).ok()?;
    let nanos = u32::try_from(micros.rem_euclid(1_000_000) * 1000).ok()?;
    if secs == 86_400 {
        return Some(String::from("24:00:00"));
    }
    let t = NaiveTime::from_num_seconds_from_midnight_opt(secs, nanos)?;
    Some(t.format("%H:%M:%S%.f").to_string())
}

fn timestamp(micros: i64, utc: bool) -> String {
    match micros {
        i64::MAX => String::from("infinity"),
        i64::MIN => String::from("-infinity"),
        _ => match epoch().checked_add_signed(TimeDelta::microseconds(micros)) {
            Some(ts) if utc => ts.format("%Y-%m-%dT%H:%M:%S%.f+00:00").to_string(),
            Some(ts) => ts.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            None => micros.to_string(),
        },
    }
}

fn offset(east_secs: i32) -> String {
    let sign = if east_secs < 0 { '-' } else { '+' };
    let abs = east_secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
}

/// PostgreSQL's default (`postgres`) interval style: `1 year 2 mons 3 days 04:05:06`.
pub(super) fn interval(months: i32, days: i32, micros: i64) -> String {
    let mut parts = Vec::new();
    let (years, months) = (months / 12, months % 12);
    let plural =
        |n: i64, one: &str, many: &str| format!("{n} {}", if n.abs() == 1 { one } else { many });
    if years != 0 {
        parts.push(plural(years.into(), "year", "years"));
    }
    if months != 0 {
        parts.push(plural(months.into(), "mon", "mons"));
    }
    if days != 0 {
        parts.push(plural(days.into(), "day", "days"));
    }
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        let abs = micros.unsigned_abs();
        let (secs, frac) = (abs / 1_000_000, abs % 1_000_000);
        let mut text = format!(
            "{sign}{:02}:{:02}:{:02}",
            secs / 3600,
            (secs % 3600) / 60,
            secs % 60
        );
        if frac != 0 {
            let f = format!("{frac:06}");
            text.push('.');
            text.push_str(f.trim_end_matches('0'));
        }
        parts.push(text);
    }
    parts.join(" ")
}

fn uuid(b: &[u8]) -> Option<String> {
    let bytes: [u8; 16] = b.try_into().ok()?;
    Some(
        sqlx::types::Uuid::from_bytes(bytes)
            .hyphenated()
            .to_string(),
    )
}

/// `inet`/`cidr`: family, prefix bits, is-cidr flag, address length, address.
fn inet(b: &[u8]) -> Option<String> {
    let family = *b.first()?;
    let bits = *b.get(1)?;
    let addr = b.get(4..)?;
    let (text, full) = match (family, addr.len()) {
        (2, 4) => {
            let a: [u8; 4] = addr.try_into().ok()?;
            (std::net::Ipv4Addr::from(a).to_string(), 32)
        }
        (3, 16) => {
            let a: [u8; 16] = addr.try_into().ok()?;
            (std::net::Ipv6Addr::from(a).to_string(), 128)
        }
        _ => return None,
    };
    Some(if bits == full {
        text
    } else {
        format!("{text}/{bits}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(weight: i16, sign: u16, dscale: u16, digits: &[u16]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend((digits.len() as u16).to_be_bytes());
        b.extend(weight.to_be_bytes());
        b.extend(sign.to_be_bytes());
        b.extend(dscale.to_be_bytes());
        for d in digits {
            b.extend(d.to_be_bytes());
        }
        b
    }

    #[test]
    fn numerics_are_exact() {
        let check = |weight, sign, dscale, digits: &[u16], expect: &str| {
            assert_eq!(
                numeric(&numeric_bytes(weight, sign, dscale, digits)).as_deref(),
                Some(expect)
            );
        };
        check(0, 0, 2, &[12, 5000], "12.50");
        check(1, 0x4000, 0, &[1, 2345], "-12345");
        check(-1, 0, 4, &[5], "0.0005");
        check(-2, 0, 6, &[1200], "0.000012");
        check(0, 0, 0, &[], "0");
        check(2, 0, 1, &[1, 0, 0], "100000000.0");
        check(0, 0xC000, 0, &[], "NaN");
        check(
            4,
            0,
            3,
            &[9999, 9999, 9999, 9999, 9999, 1230],
            "99999999999999999999.123",
        );
    }

    #[test]
    fn intervals_print_like_postgres() {
        assert_eq!(
            interval(14, 3, 14_706_000_000),
            "1 year 2 mons 3 days 04:05:06"
        );
        assert_eq!(interval(0, 1, 0), "1 day");
        assert_eq!(interval(0, 0, 0), "00:00:00");
        assert_eq!(interval(0, 0, -1_500_000), "-00:00:01.5");
    }

    #[test]
    fn scalars_decode_from_binary() {
        let check = |oid: u32, bytes: &[u8], expect: Value| assert_eq!(binary(oid, bytes), expect);
        check(23, &7i32.to_be_bytes(), Value::Int(7));
        check(1082, &0i32.to_be_bytes(), Value::Date("2000-01-01".into()));
        check(
            1184,
            &1_000_000i64.to_be_bytes(),
            Value::TimestampTz("2000-01-01T00:00:01+00:00".into()),
        );
        check(
            1114,
            &1_500_000i64.to_be_bytes(),
            Value::Timestamp("2000-01-01T00:00:01.500".into()),
        );
        check(
            869,
            &[2, 32, 0, 4, 10, 0, 0, 1],
            Value::Text("10.0.0.1".into()),
        );
        check(
            3802,
            b"\x01{\"a\":1}",
            Value::Json(serde_json::json!({"a": 1})),
        );
        check(999_999, b"happy", Value::Text("happy".into()));
        check(999_999, &[0xff, 0xfe], Value::Bytes(vec![0xff, 0xfe]));
        check(20, &[1, 2], Value::Text("\u{1}\u{2}".into()));
    }

    #[test]
    fn arrays_nest_and_keep_nulls() {
        // int4[][] {{1,NULL},{3,4}}
        let mut b = Vec::new();
        b.extend(2i32.to_be_bytes());
        b.extend(1i32.to_be_bytes());
        b.extend(23u32.to_be_bytes());
        for _ in 0..2 {
            b.extend(2i32.to_be_bytes());
            b.extend(1i32.to_be_bytes());
        }
        for v in [Some(1i32), None, Some(3), Some(4)] {
            match v {
                Some(v) => {
                    b.extend(4i32.to_be_bytes());
                    b.extend(v.to_be_bytes());
                }
                None => b.extend((-1i32).to_be_bytes()),
            }
        }
        assert_eq!(
            array(&b),
            Some(Value::Array(vec![
                Value::Array(vec![Value::Int(1), Value::Null]),
                Value::Array(vec![Value::Int(3), Value::Int(4)]),
            ]))
        );
        assert_eq!(array(&[0, 0]), None);
    }
}
