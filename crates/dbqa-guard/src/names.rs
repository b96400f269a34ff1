//! How names resolve and compare, the server's way ([`NameRules`]).
//!
//! A table name is resolved to (database, schema, name): an unqualified name lives in the
//! default schema (`public`, `dbo`, the current MySQL database, SQLite's `main`); two parts
//! are `schema.table` (`database.table` in MySQL); three are `database.schema.table`.
//! Parts are folded the way the server folds them: PostgreSQL lower-cases unquoted names
//! and keeps quoted ones; MySQL keeps case when `lower_case_table_names = 0` and ignores
//! it otherwise; SQLite and SQL Server ignore case.
//!
//! Allow lists compare resolved names exactly: `public.t` allows only `public.t`, and an
//! unqualified entry allows the table of that name in the default schema only. Block
//! lists err on the side of blocking: names compare without case, and an unqualified
//! entry blocks that name in every schema.

use dbqa_core::{Dialect, NameRules};
use sqlparser::ast::{Ident, ObjectName, ObjectNamePart};

/// One part of a name as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamePart {
    pub(crate) value: String,
    pub(crate) quoted: bool,
}

/// A table the statement reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableRef {
    /// Normalised parts joined with `.` (what [`Accepted::tables`](crate::Accepted) shows).
    pub(crate) display: String,
    /// The parts as written.
    pub(crate) parts: Vec<NamePart>,
    /// Qualifiers in lower case.
    pub(crate) qualifiers: Vec<String>,
    /// The last part in lower case.
    pub(crate) lower: String,
}

/// The dialect's normal form of one identifier (for CTE names and display).
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
        let parts: Vec<NamePart> = name
            .0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => NamePart {
                    value: ident.value.clone(),
                    quoted: ident.quote_style.is_some(),
                },
                ObjectNamePart::Function(_) => NamePart {
                    value: part.to_string(),
                    quoted: false,
                },
            })
            .collect();
        let normalised: Vec<String> = name
            .0
            .iter()
            .map(|part| match part {
                ObjectNamePart::Identifier(ident) => normalise_ident(ident, dialect),
                ObjectNamePart::Function(_) => part.to_string().to_lowercase(),
            })
            .collect();
        let (last, qualifiers) = normalised.split_last()?;
        Some(Self {
            display: normalised.join("."),
            qualifiers: qualifiers.iter().map(|q| q.to_lowercase()).collect(),
            lower: last.to_lowercase(),
            parts,
        })
    }
}

/// A name resolved against the server's rules: every part folded, the default schema
/// filled in, and the database kept only when it is not the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Another database (`None`: the current one).
    pub(crate) database: Option<String>,
    /// The schema (the database, in MySQL); `None` when no default is known.
    pub(crate) schema: Option<String>,
    pub(crate) name: String,
    /// More parts than the dialect has levels (a linked server, a typo): never allowed.
    pub(crate) unresolvable: bool,
}

/// Resolves and compares names for one dialect and server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolver {
    dialect: Dialect,
    rules: NameRules,
}

impl Resolver {
    pub(crate) fn new(dialect: Dialect, rules: NameRules) -> Self {
        Self { dialect, rules }
    }

    /// One part folded the server's way.
    fn fold(&self, part: &NamePart) -> String {
        let keep_case = match self.dialect {
            Dialect::Postgres => part.quoted,
            Dialect::MySql => self.rules.case_sensitive,
            Dialect::Sqlite | Dialect::MsSql => false,
        };
        if keep_case {
            part.value.clone()
        } else {
            part.value.to_lowercase()
        }
    }

    fn fold_default(&self, value: Option<&String>) -> Option<String> {
        value.map(|v| {
            self.fold(&NamePart {
                value: v.clone(),
                quoted: true,
            })
        })
    }

    /// The (database, schema, name) the parts name.
    pub(crate) fn resolve(&self, parts: &[NamePart]) -> Resolved {
        let folded: Vec<String> = parts.iter().map(|p| self.fold(p)).collect();
        let default_schema = self.fold_default(self.rules.default_schema.as_ref());
        let default_database = self.fold_default(self.rules.default_database.as_ref());
        let three_levels = matches!(self.dialect, Dialect::Postgres | Dialect::MsSql);
        let (database, schema, name, unresolvable) = match folded.as_slice() {
            [name] => (None, default_schema, name.clone(), false),
            [schema, name] => (None, Some(schema.clone()), name.clone(), false),
            [database, schema, name] if three_levels => (
                Some(database.clone()).filter(|d| Some(d) != default_database.as_ref()),
                Some(schema.clone()),
                name.clone(),
                false,
            ),
            _ => (None, None, folded.last().cloned().unwrap_or_default(), true),
        };
        Resolved {
            database,
            schema,
            name,
            unresolvable,
        }
    }

    /// Whether the name points outside the current database: a MySQL `db.t` with another
    /// database, a three-part name with another database, or a name with too many parts.
    pub(crate) fn is_other_database(&self, resolved: &Resolved) -> bool {
        if resolved.unresolvable || resolved.database.is_some() {
            return true;
        }
        match self.dialect {
            Dialect::MySql => {
                resolved.schema != self.fold_default(self.rules.default_schema.as_ref())
            }
            _ => false,
        }
    }
}

/// Splits a configured name (`t`, `public.t`, `"Mixed Case"`, `` `db`.`t` ``,
/// `[dbo].[t]`) into its parts.
pub(crate) fn parse_configured(entry: &str) -> Vec<NamePart> {
    let mut parts = Vec::new();
    let mut chars = entry.trim().chars().peekable();
    let mut current = String::new();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        let close = match c {
            '"' => Some('"'),
            '`' => Some('`'),
            '[' => Some(']'),
            _ => None,
        };
        match close {
            Some(close) if current.is_empty() => {
                quoted = true;
                for inner in chars.by_ref() {
                    if inner == close {
                        break;
                    }
                    current.push(inner);
                }
            }
            _ if c == '.' => {
                parts.push(NamePart {
                    value: std::mem::take(&mut current),
                    quoted,
                });
                quoted = false;
            }
            _ => current.push(c),
        }
    }
    parts.push(NamePart {
        value: current.trim().to_string(),
        quoted,
    });
    parts.retain(|p| !p.value.is_empty());
    parts
}

/// A name as the database stores it (from the schema): exact, as if quoted.
pub(crate) fn stored(schema: Option<&str>, name: &str) -> Vec<NamePart> {
    schema
        .into_iter()
        .chain(std::iter::once(name))
        .map(|value| NamePart {
            value: value.to_string(),
            quoted: true,
        })
        .collect()
}

/// A block-list entry: lower-case name, and lower-case qualifiers when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlockedName {
    qualifiers: Vec<String>,
    name: String,
}

impl BlockedName {
    pub(crate) fn new(entry: &str) -> Option<Self> {
        let mut parts: Vec<String> = parse_configured(entry)
            .into_iter()
            .map(|p| p.value.to_lowercase())
            .collect();
        let name = parts.pop()?;
        Some(Self {
            qualifiers: parts,
            name,
        })
    }

    /// Whether a reference with these parts is this entry: same name whatever the case;
    /// same qualifiers where the entry has them (an unqualified entry matches any schema).
    pub(crate) fn matches(&self, parts: &[NamePart], default_schema: Option<&str>) -> bool {
        let Some((last, qualifiers)) = parts.split_last() else {
            return false;
        };
        if last.value.to_lowercase() != self.name {
            return false;
        }
        if self.qualifiers.is_empty() {
            return true;
        }
        if qualifiers.is_empty() {
            // Unqualified: the default schema, or (when it is unknown) possibly this one.
            return default_schema.is_none_or(|s| [s.to_lowercase()] == self.qualifiers[..]);
        }
        let written: Vec<String> = qualifiers.iter().map(|q| q.value.to_lowercase()).collect();
        written.ends_with(&self.qualifiers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(entry: &str) -> Vec<(String, bool)> {
        parse_configured(entry)
            .into_iter()
            .map(|p| (p.value, p.quoted))
            .collect()
    }

    #[test]
    fn configured_names_split_on_dots_outside_quotes() {
        assert_eq!(parts("Secret"), [("Secret".into(), false)]);
        assert_eq!(
            parts("public.\"Odd.Name\""),
            [("public".into(), false), ("Odd.Name".into(), true)]
        );
        assert_eq!(
            parts("[dbo].[T]"),
            [("dbo".into(), true), ("T".into(), true)]
        );
        assert_eq!(parts("`db`.`t`"), [("db".into(), true), ("t".into(), true)]);
    }

    fn resolve(
        dialect: Dialect,
        rules: NameRules,
        entry: &str,
    ) -> (Option<String>, Option<String>, String) {
        let r = Resolver::new(dialect, rules).resolve(&parse_configured(entry));
        (r.database, r.schema, r.name)
    }

    #[test]
    fn resolution_follows_the_server() {
        let pg = NameRules::for_dialect(Dialect::Postgres);
        assert_eq!(
            resolve(Dialect::Postgres, pg.clone(), "Orders"),
            (None, Some("public".into()), "orders".into())
        );
        assert_eq!(
            resolve(Dialect::Postgres, pg, "hr.\"Orders\""),
            (None, Some("hr".into()), "Orders".into())
        );
        let mysql = NameRules::for_dialect(Dialect::MySql).with_default_schema(Some("shop".into()));
        assert_eq!(
            resolve(Dialect::MySql, mysql.clone(), "ORDERS"),
            (None, Some("shop".into()), "ORDERS".into())
        );
        let folding = mysql.with_case_sensitive(false);
        assert_eq!(
            resolve(Dialect::MySql, folding, "ORDERS"),
            (None, Some("shop".into()), "orders".into())
        );
    }

    #[test]
    fn blocked_entries_match_without_case_and_unqualified_in_any_schema() {
        let any = BlockedName::new("Secret").expect("entry");
        assert!(any.matches(&parse_configured("hr.SECRET"), Some("public")));
        assert!(any.matches(&parse_configured("\"secret\""), Some("public")));
        let hr = BlockedName::new("hr.secret").expect("entry");
        assert!(hr.matches(&parse_configured("HR.secret"), Some("public")));
        assert!(!hr.matches(&parse_configured("secret"), Some("public")));
        assert!(hr.matches(&parse_configured("secret"), Some("hr")));
    }
}
