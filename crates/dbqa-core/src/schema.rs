//! Typed description of a database schema: tables, views, columns and keys.

use serde::{Deserialize, Serialize};

use crate::Dialect;

/// Everything dbqa knows about a database's structure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Schema {
    /// The dialect of the database the schema came from.
    pub dialect: Dialect,
    /// Tables and views, in a stable order (by schema, then name).
    pub tables: Vec<Table>,
}

impl Schema {
    /// A schema of `tables` for `dialect`.
    pub fn new(dialect: Dialect, tables: Vec<Table>) -> Self {
        Self { dialect, tables }
    }

    /// Finds a table by name, ignoring case and an optional `schema.` qualifier.
    pub fn table(&self, name: &str) -> Option<&Table> {
        let bare = name.rsplit('.').next().unwrap_or(name);
        self.tables
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(bare))
    }

    /// The column names of the table called `name` (as [`Schema::table`] finds it), in
    /// their declared order; `None` when there is no such table.
    pub fn column_names(&self, name: &str) -> Option<Vec<String>> {
        self.table(name)
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
    }

    /// A stable fingerprint of the structure: changes whenever any table, column or key
    /// changes. Used in cache keys so a schema change never serves stale answers.
    pub fn fingerprint(&self) -> String {
        // serde_json output of these plain structs is deterministic, so the hash is stable
        // across processes and builds (several servers share one Redis cache).
        let text = serde_json::to_string(self).unwrap_or_default();
        crate::stable_hash(text.as_bytes())
    }

    /// Every foreign key as `(table, key)` pairs: the relationship list of the schema.
    pub fn relationships(&self) -> impl Iterator<Item = (&Table, &ForeignKey)> {
        self.tables
            .iter()
            .flat_map(|t| t.foreign_keys.iter().map(move |fk| (t, fk)))
    }
}

/// Whether a relation stores rows or is a view over others.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TableKind {
    /// A base table.
    #[default]
    Table,
    /// A view (or materialized view).
    View,
}

/// A table or view.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Table {
    /// The schema (namespace) holding the table, when the database has them
    /// (`public`, `dbo`, the MySQL database name); `None` for SQLite's `main`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The table's name as the database stores it.
    pub name: String,
    /// Table or view.
    #[serde(default)]
    pub kind: TableKind,
    /// Columns in their declared order.
    pub columns: Vec<Column>,
    /// The primary key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<PrimaryKey>,
    /// Foreign keys declared on this table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Indexes, excluding the implicit primary-key index where the database reports one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// The table comment, where the database has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// A view's defining query as the database reports it (`SELECT …`), so the tables it
    /// reads can be known; `None` for tables and where the database does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
}

impl Table {
    /// A base table of `columns`, with no keys, indexes or comment.
    pub fn new(name: impl Into<String>, columns: Vec<Column>) -> Self {
        Self {
            schema: None,
            name: name.into(),
            kind: TableKind::Table,
            columns,
            primary_key: None,
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
            comment: None,
            definition: None,
        }
    }

    /// Finds a column by name, ignoring case.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// `(column, referenced table, referenced column)` of each single-column foreign key.
    pub fn single_column_keys(&self) -> impl Iterator<Item = (&str, &str, &str)> + '_ {
        self.foreign_keys.iter().filter_map(|fk| {
            match (fk.columns.as_slice(), fk.referenced_columns.as_slice()) {
                ([from], [to]) => Some((from.as_str(), fk.referenced_table.as_str(), to.as_str())),
                _ => None,
            }
        })
    }

    /// Whether `column` alone identifies a row: it is the whole primary key, or a unique
    /// index has it alone.
    pub fn is_unique_column(&self, column: &str) -> bool {
        let only =
            |columns: &[String]| matches!(columns, [one] if one.eq_ignore_ascii_case(column));
        self.primary_key
            .as_ref()
            .is_some_and(|pk| only(&pk.columns))
            || self.indexes.iter().any(|i| i.unique && only(&i.columns))
    }

    /// `schema.name` when a schema is set, else `name`.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A column of a table or view.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The declared type as the database spells it (`integer`, `varchar(80)`, …).
    pub data_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The column comment, where the database has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Column {
    /// A nullable column of `data_type` with no default or comment.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            default: None,
            comment: None,
        }
    }
}

/// A primary key (possibly composite).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrimaryKey {
    /// The constraint name, when the database names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key columns in key order.
    pub columns: Vec<String>,
}

/// A foreign key (possibly composite): `columns` of this table reference
/// `referenced_columns` of `referenced_table`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ForeignKey {
    /// The constraint name, when the database names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Referencing columns of this table, in key order.
    pub columns: Vec<String>,
    /// The schema of the referenced table, when the database has schemas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referenced_schema: Option<String>,
    /// The referenced table.
    pub referenced_table: String,
    /// Referenced columns, paired with `columns` by position.
    pub referenced_columns: Vec<String>,
}

impl ForeignKey {
    /// An unnamed key: `columns` reference `referenced_columns` of `referenced_table`.
    pub fn new<S: Into<String>>(
        columns: impl IntoIterator<Item = S>,
        referenced_table: impl Into<String>,
        referenced_columns: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: None,
            columns: columns.into_iter().map(Into::into).collect(),
            referenced_schema: None,
            referenced_table: referenced_table.into(),
            referenced_columns: referenced_columns.into_iter().map(Into::into).collect(),
        }
    }
}

/// An index on a table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// Indexed columns (or expressions, as text) in index order.
    pub columns: Vec<String>,
    /// Whether the index enforces uniqueness.
    pub unique: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> Table {
        Table {
            schema: Some("public".into()),
            name: name.into(),
            kind: TableKind::Table,
            columns: vec![Column {
                name: "Id".into(),
                data_type: "integer".into(),
                nullable: false,
                default: None,
                comment: None,
            }],
            primary_key: None,
            foreign_keys: vec![],
            indexes: vec![],
            comment: None,
            definition: None,
        }
    }

    #[test]
    fn lookups_ignore_case_and_qualifier() {
        let schema = Schema {
            dialect: Dialect::Postgres,
            tables: vec![table("Orders")],
        };
        assert!(schema.table("public.orders").is_some());
        assert!(schema.table("ORDERS").is_some());
        assert!(schema.table("order").is_none());
        assert!(schema.tables[0].column("id").is_some());
    }

    #[test]
    fn fingerprint_changes_with_structure() {
        let a = Schema {
            dialect: Dialect::Postgres,
            tables: vec![table("orders")],
        };
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.tables[0].columns[0].nullable = true;
        assert_ne!(a.fingerprint(), b.fingerprint());
    }
}
