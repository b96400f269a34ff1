//! One SQLite connection with dbqa's read-only walls, and running a query on it.
//!
//! Three walls keep a read-only execution from writing:
//! 1. the file is opened with `SQLITE_OPEN_READ_ONLY` unless the URL says `mode=rw`/`rwc`;
//! 2. `PRAGMA query_only = ON` is set on every connection and lifted only for the duration
//!    of a read-write execution on a writable connector;
//! 3. an authorizer denies, while preparing a read-only execution, anything but reading:
//!    writes, DDL, `ATTACH`/`DETACH`, transactions, savepoints and pragmas that set a value;
//!    and a prepared statement that SQLite itself does not report as read-only
//!    (`sqlite3_stmt_readonly`, which catches `VACUUM INTO`) is refused before it runs.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use dbqa_core::{ColumnInfo, DatabaseError, Rows, Value};
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::types::ValueRef;

use crate::bounds::{Budget, CELL_CAP};
use rusqlite::{Connection, ErrorCode, InterruptHandle, OpenFlags};

/// Pragmas that only read, allowed with an argument (`PRAGMA table_info(t)`) in read-only mode.
const READ_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_key_check",
    "database_list",
    "collation_list",
    "function_list",
    "module_list",
    "pragma_list",
    "compile_options",
    "integrity_check",
    "quick_check",
];

/// What the authorizer allows right now, and what it last refused.
#[derive(Debug, Default)]
struct AuthState {
    writes_allowed: AtomicBool,
    denied: Mutex<Option<String>>,
}

/// A connection and its authorizer state.
pub(crate) struct Conn {
    conn: Connection,
    auth: Arc<AuthState>,
    writable: bool,
}

impl Conn {
    /// Opens `path` (`None`: in memory) read-only, or read-write when `writable`.
    pub(crate) fn open(
        path: Option<&Path>,
        writable: bool,
        create: bool,
    ) -> Result<Self, DatabaseError> {
        let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
        flags |= match (path, writable) {
            // An in-memory database is private to its connection; opening it read-only
            // would make it useless, and the other walls still stop writes.
            (None, _) => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            (Some(_), false) => OpenFlags::SQLITE_OPEN_READ_ONLY,
            (Some(_), true) if create => {
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
            }
            (Some(_), true) => OpenFlags::SQLITE_OPEN_READ_WRITE,
        };
        let conn = match path {
            Some(path) => Connection::open_with_flags(path, flags),
            None => Connection::open_in_memory_with_flags(flags),
        }
        .map_err(|e| DatabaseError::Connection {
            target: path.map_or_else(|| ":memory:".to_string(), |p| p.display().to_string()),
            message: e.to_string(),
        })?;
        let setup = || -> rusqlite::Result<()> {
            conn.busy_timeout(Duration::from_secs(2))?;
            conn.pragma_update(None, "query_only", true)?;
            // Opening is lazy: read the schema now so a file that is not a database fails here.
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
            Ok(())
        };
        setup().map_err(|e| DatabaseError::Connection {
            target: path.map_or_else(|| ":memory:".to_string(), |p| p.display().to_string()),
            message: e.to_string(),
        })?;
        let auth = Arc::new(AuthState::default());
        let hook_state = Arc::clone(&auth);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            authorize(&hook_state, ctx)
        }))
        .map_err(|e| DatabaseError::Connection {
            target: String::from("sqlite"),
            message: e.to_string(),
        })?;
        Ok(Self {
            conn,
            auth,
            writable,
        })
    }

    /// A handle that interrupts the statement running on this connection.
    pub(crate) fn interrupt_handle(&self) -> InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// The raw connection, for read-only catalog queries (the authorizer stays on).
    pub(crate) fn raw(&self) -> &Connection {
        &self.conn
    }

    /// Runs one statement and reads at most `max_rows` rows (fetching one more to set
    /// `truncated`) and `max_bytes` bytes. Writes run only when `allow_writes` and the
    /// connection is writable.
    pub(crate) fn run(
        &mut self,
        sql: &str,
        max_rows: usize,
        max_bytes: usize,
        allow_writes: bool,
    ) -> Result<Rows, RunError> {
        let writes = allow_writes && self.writable;
        if writes {
            self.set_writes(true).map_err(RunError::Sqlite)?;
        }
        let result = self.run_inner(sql, max_rows, Budget::new(max_bytes), writes);
        if writes {
            // Restore the read-only walls even when the statement failed.
            if let Err(e) = self.set_writes(false) {
                return Err(RunError::Sqlite(e));
            }
        }
        result
    }

    fn run_inner(
        &mut self,
        sql: &str,
        max_rows: usize,
        mut budget: Budget,
        writes: bool,
    ) -> Result<Rows, RunError> {
        self.take_denied();
        let mut stmt = match self.conn.prepare(sql) {
            Ok(stmt) => stmt,
            Err(e) => {
                return Err(match self.take_denied() {
                    Some(what) => RunError::Denied(what),
                    None => RunError::Sqlite(e),
                });
            }
        };
        if !writes && !stmt.readonly() {
            return Err(RunError::Denied(String::from(
                "the statement would modify the database",
            )));
        }
        let columns: Vec<(String, Option<String>)> = stmt
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.decl_type().map(str::to_string)))
            .collect();
        let mut observed: Vec<Option<&'static str>> = vec![None; columns.len()];
        let mut out = Vec::new();
        let mut truncated = false;
        let mut rows = stmt.query([]).map_err(RunError::Sqlite)?;
        while let Some(row) = rows.next().map_err(RunError::Sqlite)? {
            if out.len() >= max_rows {
                truncated = true;
                break;
            }
            let mut cells = Vec::with_capacity(columns.len());
            for (i, seen) in observed.iter_mut().enumerate() {
                let value = row.get_ref(i).map_err(RunError::Sqlite)?;
                if seen.is_none() {
                    *seen = storage_class(value);
                }
                cells.push(to_value(value, &mut budget));
            }
            if !budget.admit(&cells) {
                break;
            }
            out.push(cells);
        }
        let mut rows = Rows {
            columns: columns
                .into_iter()
                .zip(observed)
                .map(|((name, declared), seen)| ColumnInfo {
                    name,
                    type_name: declared.or(seen.map(str::to_string)).unwrap_or_default(),
                })
                .collect(),
            rows: out,
            truncated,
        };
        budget.finish(&mut rows);
        Ok(rows)
    }

    fn set_writes(&self, on: bool) -> rusqlite::Result<()> {
        if on {
            self.auth.writes_allowed.store(true, Ordering::SeqCst);
            self.conn.pragma_update(None, "query_only", false)
        } else {
            self.conn.pragma_update(None, "query_only", true)?;
            self.auth.writes_allowed.store(false, Ordering::SeqCst);
            Ok(())
        }
    }

    fn take_denied(&self) -> Option<String> {
        self.auth
            .denied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Why a statement did not run.
#[derive(Debug)]
pub(crate) enum RunError {
    /// The read-only walls refused it (what was refused).
    Denied(String),
    /// SQLite failed it.
    Sqlite(rusqlite::Error),
}

impl RunError {
    /// The trait error; `timed_out` says whether the deadline passed (an interrupt is then
    /// a timeout rather than a failure).
    pub(crate) fn into_database_error(self, timed_out: Option<Duration>) -> DatabaseError {
        match self {
            RunError::Denied(what) => DatabaseError::ReadOnly { message: what },
            RunError::Sqlite(e) => map_error(e, timed_out),
        }
    }
}

/// Maps a rusqlite error to the trait's kinds.
pub(crate) fn map_error(error: rusqlite::Error, timed_out: Option<Duration>) -> DatabaseError {
    match &error {
        rusqlite::Error::SqliteFailure(ffi, message) => {
            let message = message.clone().unwrap_or_else(|| ffi.to_string());
            match (ffi.code, timed_out) {
                (ErrorCode::OperationInterrupted, Some(after)) => DatabaseError::Timeout { after },
                (ErrorCode::ReadOnly, _) => DatabaseError::ReadOnly { message },
                (ErrorCode::AuthorizationForStatementDenied, _) => {
                    DatabaseError::ReadOnly { message }
                }
                (ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase, _) => {
                    DatabaseError::ConnectionLost { message }
                }
                _ => DatabaseError::Query {
                    message,
                    code: Some(ffi.extended_code.to_string()),
                },
            }
        }
        rusqlite::Error::SqlInputError { error, msg, .. } => DatabaseError::Query {
            message: msg.clone(),
            code: Some(error.extended_code.to_string()),
        },
        _ => DatabaseError::Query {
            message: error.to_string(),
            code: None,
        },
    }
}

fn authorize(state: &AuthState, ctx: AuthContext<'_>) -> Authorization {
    if state.writes_allowed.load(Ordering::SeqCst) {
        return Authorization::Allow;
    }
    let denied = match ctx.action {
        AuthAction::Select
        | AuthAction::Read { .. }
        | AuthAction::Function { .. }
        | AuthAction::Recursive => return Authorization::Allow,
        AuthAction::Pragma {
            pragma_name,
            pragma_value,
        } => {
            let name = pragma_name.to_ascii_lowercase();
            if pragma_value.is_none() || READ_PRAGMAS.contains(&name.as_str()) {
                return Authorization::Allow;
            }
            format!("PRAGMA {name} with a value")
        }
        AuthAction::Attach { .. } => String::from("ATTACH"),
        AuthAction::Detach { .. } => String::from("DETACH"),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
            String::from("transaction control")
        }
        AuthAction::Insert { table_name } => format!("INSERT into {table_name}"),
        AuthAction::Update { table_name, .. } => format!("UPDATE of {table_name}"),
        AuthAction::Delete { table_name } => format!("DELETE from {table_name}"),
        other => format!("{other:?}"),
    };
    *state.denied.lock().unwrap_or_else(PoisonError::into_inner) =
        Some(format!("{denied} is not allowed in a read-only execution"));
    Authorization::Deny
}

fn storage_class(value: ValueRef<'_>) -> Option<&'static str> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(_) => Some("INTEGER"),
        ValueRef::Real(_) => Some("REAL"),
        ValueRef::Text(_) => Some("TEXT"),
        ValueRef::Blob(_) => Some("BLOB"),
    }
}

/// A cell, text and blobs cut to the cell cap before they are copied.
fn to_value(value: ValueRef<'_>, budget: &mut Budget) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Float(f),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(text) => budget.text(text),
            Err(_) => budget.text(&String::from_utf8_lossy(&t[..t.len().min(CELL_CAP)])),
        },
        ValueRef::Blob(b) => budget.bytes(b),
    }
}
