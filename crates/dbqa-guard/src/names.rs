//! How names compare in each dialect.
//!
//! Unquoted identifiers compare case-insensitively everywhere. In PostgreSQL a quoted
//! identifier keeps its case (`"Users"` and `users` are different tables); elsewhere
//! quoting changes nothing. Schema and database qualifiers are kept in the reported
//! name but ignored by the allow and block lists.

use dbqa_core::Dialect;
use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

/// A table the statement reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableRef {
    /// Normalised parts joined with `.` (what [`Accepted::tables`](crate::Accepted) shows).
    pub(crate) display: String,
    /// Qualifiers in lower case.
    pub(crate) qualifiers: Vec<String>,
    /// The last part, normalised the dialect's way.
    pub(crate) name: String,
    /// The last part in lower case.
    pub(crate) lower: String,
}

/// The dialect's normal form of one identifier.
pub(crate) fn normalise_ident(ident: &Ident, dialect: Dialect) -> String {
    if ident.quote_style.is_some() && dialect.quoted_identifiers_are_case_sensitive() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

impl TableRef {
    /// The table an object name refers to.
    pub(crate) fn new(name: &ObjectName, dialect: Dialect) -> Option<Self> {
        let mut normalised: Vec<String> = name
            .0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => normalise_ident(ident, dialect),
                ObjectNamePart::Function(_) => part.to_string().to_lowercase(),
            })
            .collect();
        let name = normalised.pop()?;
        let qualifiers: Vec<String> = normalised.iter().map(|q| q.to_lowercase()).collect();
        let mut display = String::new();
        for q in &normalised {
            display.push_str(q);
            display.push('.');
        }
        display.push_str(&name);
        Some(Self {
            display,
            qualifiers,
            lower: name.to_lowercase(),
            name,
        })
    }
}

/// A table name from configuration, in the dialect's normal form and in lower case.
///
/// The qualifier is dropped (`public.secret` is `secret`); a quoted name (`"Secret"`,
/// `` `Secret` ``, `[Secret]`) keeps its case where the dialect does.
pub(crate) fn configured_name(entry: &str, dialect: Dialect) -> (String, String) {
    let entry = entry.trim();
    let (last, quoted) = match entry.chars().last() {
        Some(close @ ('"' | '`' | ']')) => {
            let open = if close == ']' { '[' } else { close };
            let body = &entry[..entry.len() - 1];
            match body.rfind(open) {
                Some(start) => (&body[start + 1..], true),
                None => (body, false),
            }
        }
        _ => (entry.rsplit('.').next().unwrap_or(entry), false),
    };
    let lower = last.to_lowercase();
    let name = if quoted && dialect.quoted_identifiers_are_case_sensitive() {
        last.to_string()
    } else {
        lower.clone()
    };
    (name, lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_names_drop_qualifiers_and_quotes() {
        let check = |entry: &str, dialect: Dialect, expect: (&str, &str)| {
            let (name, lower) = configured_name(entry, dialect);
            assert_eq!((name.as_str(), lower.as_str()), expect, "{entry} {dialect}");
        };
        check("Secret", Dialect::Postgres, ("secret", "secret"));
        check("public.secret", Dialect::Postgres, ("secret", "secret"));
        check("\"Secret\"", Dialect::Postgres, ("Secret", "secret"));
        check("public.\"Secret\"", Dialect::Postgres, ("Secret", "secret"));
        check("[dbo].[Secret]", Dialect::MsSql, ("secret", "secret"));
        check("`Secret`", Dialect::MySql, ("secret", "secret"));
    }
}
