//! The guard's data about system catalogs: where each dialect keeps them, so that no
//! statement reads them unless the configuration allows it. (The functions a statement
//! may call are in [`functions`](crate::functions).)
//!
//! Catalogs are per dialect, because their names (`sys`, `model`, `pg_…`) are ordinary
//! names in other databases.

use dbqa_core::Dialect;

/// Where a dialect keeps its system catalogs. Names are lower-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catalogs {
    /// Schema or database qualifiers that hold only catalogs (`pg_catalog.x`, `sys.x`).
    pub schemas: &'static [&'static str],
    /// Unqualified catalog table names.
    pub tables: &'static [&'static str],
    /// Prefixes of unqualified catalog names (`pg_` reaches `pg_catalog` through the
    /// search path).
    pub prefixes: &'static [&'static str],
    /// Prefixes that are catalogs in any schema (SQLite reserves `sqlite_`, and its
    /// `pragma_*` table functions read the schema of `main` or an attached database).
    pub reserved_prefixes: &'static [&'static str],
}

/// The system catalogs of `dialect`.
pub fn catalogs(dialect: Dialect) -> &'static Catalogs {
    match dialect {
        Dialect::Sqlite => &Catalogs {
            schemas: &["information_schema"],
            tables: &[],
            prefixes: &[],
            reserved_prefixes: &["sqlite_", "pragma_"],
        },
        Dialect::Postgres => &Catalogs {
            schemas: &["information_schema", "pg_catalog", "pg_toast"],
            tables: &[],
            prefixes: &["pg_"],
            reserved_prefixes: &[],
        },
        Dialect::MySql => &Catalogs {
            schemas: &["information_schema", "mysql", "performance_schema", "sys"],
            tables: &[],
            prefixes: &[],
            reserved_prefixes: &[],
        },
        Dialect::MsSql => &Catalogs {
            schemas: &["information_schema", "sys", "master", "msdb", "tempdb"],
            tables: &[
                "sysobjects",
                "syscolumns",
                "sysindexes",
                "sysusers",
                "syslogins",
                "sysprocesses",
                "sysdatabases",
                "syscomments",
                "sysmessages",
                "sysservers",
                "sysfiles",
                "systypes",
                "sysconstraints",
                "sysreferences",
                "sysforeignkeys",
                "sysdepends",
                "sysprotects",
                "syspermissions",
                "sysmembers",
                "sysxlogins",
                "sysconfigures",
                "syscurconfigs",
                "sysaltfiles",
                "sysdevices",
                "sysremotelogins",
                "syslockinfo",
                "sysperfinfo",
                "syscacheobjects",
            ],
            prefixes: &[],
            reserved_prefixes: &[],
        },
    }
}

impl Catalogs {
    /// Whether a name with these lower-case qualifiers and last part is a catalog.
    pub fn contains(&self, qualifiers: &[String], last: &str) -> bool {
        qualifiers
            .iter()
            .any(|q| self.schemas.contains(&q.as_str()))
            || (qualifiers.is_empty()
                && (self.tables.contains(&last)
                    || self.prefixes.iter().any(|p| last.starts_with(p))))
            || self.reserved_prefixes.iter().any(|p| last.starts_with(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_need_qualifier_or_reserved_name() {
        let pg = catalogs(Dialect::Postgres);
        assert!(pg.contains(&[], "pg_user"));
        assert!(pg.contains(&["pg_catalog".into()], "pg_class"));
        assert!(pg.contains(&["information_schema".into()], "tables"));
        assert!(!pg.contains(&["public".into()], "pg_user"));
        assert!(!pg.contains(&[], "users"));
        let sqlite = catalogs(Dialect::Sqlite);
        assert!(sqlite.contains(&["main".into()], "sqlite_master"));
        assert!(sqlite.contains(&[], "sqlite_schema"));
    }
}
