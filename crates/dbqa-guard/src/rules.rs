//! The guard's data: functions it refuses and system catalogs it hides, per dialect.
//!
//! This file is the one place to read or extend the lists. Function names compare
//! case-insensitively on their last part (`pg_catalog.pg_sleep` is `pg_sleep`); a
//! pattern ending in `*` matches every name with that prefix.
//!
//! **Functions are refused in every dialect**, whichever one they come from: a guard
//! configured with the wrong dialect must not let `pg_sleep` through because it thought
//! it was talking to SQLite, and none of these names is an ordinary function elsewhere.
//! System catalogs are per dialect, because their names (`sys`, `model`, `pg_…`) are
//! ordinary names in other databases.

use dbqa_core::Dialect;

/// A function the guard refuses, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeniedFunction {
    /// Lower-case name; a trailing `*` matches any name with that prefix.
    pub pattern: &'static str,
    /// The dialect the function comes from (it is refused in all of them).
    pub dialect: Dialect,
    /// Why it is refused.
    pub reason: &'static str,
}

const fn deny(pattern: &'static str, dialect: Dialect, reason: &'static str) -> DeniedFunction {
    DeniedFunction {
        pattern,
        dialect,
        reason,
    }
}

const SLEEP: &str = "sleeps or waits: can hold a connection forever";
const FILE: &str = "reads or writes files on the server";
const NET: &str = "opens connections to other servers";
const STATE: &str = "changes server or session state";
const LOCK: &str = "takes locks that outlive the query";
const EXEC: &str = "runs arbitrary SQL or programs";

/// Every function the guard refuses, in every dialect (see the module docs).
pub static DENIED_FUNCTIONS: &[DeniedFunction] = &[
    // PostgreSQL
    deny("pg_sleep*", Dialect::Postgres, SLEEP),
    deny("pg_read_file", Dialect::Postgres, FILE),
    deny("pg_read_binary_file", Dialect::Postgres, FILE),
    deny("pg_ls_*", Dialect::Postgres, FILE),
    deny("pg_stat_file", Dialect::Postgres, FILE),
    deny("pg_file_*", Dialect::Postgres, FILE),
    deny("lo_*", Dialect::Postgres, FILE),
    deny("dblink*", Dialect::Postgres, NET),
    deny("set_config", Dialect::Postgres, STATE),
    deny("nextval", Dialect::Postgres, STATE),
    deny("setval", Dialect::Postgres, STATE),
    deny("pg_terminate_backend", Dialect::Postgres, STATE),
    deny("pg_cancel_backend", Dialect::Postgres, STATE),
    deny("pg_reload_conf", Dialect::Postgres, STATE),
    deny("pg_rotate_logfile", Dialect::Postgres, STATE),
    deny("pg_switch_wal", Dialect::Postgres, STATE),
    deny("pg_promote", Dialect::Postgres, STATE),
    deny("pg_backup_*", Dialect::Postgres, STATE),
    deny("pg_start_backup", Dialect::Postgres, STATE),
    deny("pg_stop_backup", Dialect::Postgres, STATE),
    deny("pg_create_*", Dialect::Postgres, STATE),
    deny("pg_drop_replication_slot", Dialect::Postgres, STATE),
    deny("pg_logical_*", Dialect::Postgres, STATE),
    deny("pg_replication_*", Dialect::Postgres, STATE),
    deny("pg_notify", Dialect::Postgres, STATE),
    deny("txid_current", Dialect::Postgres, STATE),
    deny("pg_current_xact_id", Dialect::Postgres, STATE),
    deny("pg_advisory*", Dialect::Postgres, LOCK),
    deny("pg_try_advisory*", Dialect::Postgres, LOCK),
    deny("query_to_xml*", Dialect::Postgres, EXEC),
    deny("query_to_xmlschema", Dialect::Postgres, EXEC),
    deny("cursor_to_xml*", Dialect::Postgres, EXEC),
    // MySQL / MariaDB
    deny("sleep", Dialect::MySql, SLEEP),
    deny("benchmark", Dialect::MySql, SLEEP),
    deny("master_pos_wait", Dialect::MySql, SLEEP),
    deny("source_pos_wait", Dialect::MySql, SLEEP),
    deny("wait_for_executed_gtid_set", Dialect::MySql, SLEEP),
    deny("wait_until_sql_thread_after_gtids", Dialect::MySql, SLEEP),
    deny("load_file", Dialect::MySql, FILE),
    deny("get_lock", Dialect::MySql, LOCK),
    deny("release_lock", Dialect::MySql, LOCK),
    deny("release_all_locks", Dialect::MySql, LOCK),
    deny("sys_exec", Dialect::MySql, EXEC),
    deny("sys_eval", Dialect::MySql, EXEC),
    // SQLite
    deny("load_extension", Dialect::Sqlite, EXEC),
    deny("readfile", Dialect::Sqlite, FILE),
    deny("writefile", Dialect::Sqlite, FILE),
    deny("edit", Dialect::Sqlite, EXEC),
    deny("fsdir", Dialect::Sqlite, FILE),
    deny("fts3_tokenizer", Dialect::Sqlite, EXEC),
    // SQL Server
    deny("xp_*", Dialect::MsSql, EXEC),
    deny("sp_*", Dialect::MsSql, EXEC),
    deny("openrowset", Dialect::MsSql, NET),
    deny("openquery", Dialect::MsSql, NET),
    deny("opendatasource", Dialect::MsSql, NET),
    deny("waitfor", Dialect::MsSql, SLEEP),
    deny("fn_xe_file_target_read_file", Dialect::MsSql, FILE),
    deny("fn_get_audit_file", Dialect::MsSql, FILE),
    deny("fn_trace_gettable", Dialect::MsSql, FILE),
];

/// The denylist entry matching a function name (any case, any qualifier stripped).
pub fn denied_function(name: &str) -> Option<&'static DeniedFunction> {
    let lower;
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        lower = name.to_ascii_lowercase();
        lower.as_str()
    } else {
        name
    };
    DENIED_FUNCTIONS
        .iter()
        .find(|rule| match rule.pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == rule.pattern,
        })
}

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
    fn patterns_match_by_prefix_and_case() {
        let check = |name: &str, expect: Option<&str>| {
            assert_eq!(denied_function(name).map(|r| r.pattern), expect, "{name}");
        };
        check("pg_sleep", Some("pg_sleep*"));
        check("PG_SLEEP_FOR", Some("pg_sleep*"));
        check("xp_cmdshell", Some("xp_*"));
        check("Load_File", Some("load_file"));
        check("count", None);
        check("sleepy", None);
        check("lower", None);
    }

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
