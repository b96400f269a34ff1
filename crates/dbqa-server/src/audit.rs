//! The audit log (`DBQA_AUDIT_LOG`): one JSON line per question or SQL run through `dbqa
//! serve` or `dbqa mcp`, to a file (appended) or to standard output (`-`): time, user,
//! question, SQL, tables read, rows, duration and outcome.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::{Error, Result};

/// One audited request.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord<'a> {
    /// When it ended, RFC 3339 UTC.
    pub time: String,
    /// Who asked (`anonymous` on an open API).
    pub user: &'a str,
    /// Where: `query`, `stream`, `sql`, `mcp_ask`, `mcp_run_query`.
    pub route: &'a str,
    /// The question, when there was one.
    pub question: Option<&'a str>,
    /// The SQL that ran (or was refused).
    pub sql: Option<&'a str>,
    /// The tables it read.
    pub tables: &'a [String],
    /// Rows returned.
    pub rows: usize,
    /// Milliseconds.
    pub duration_ms: u64,
    /// `ok`, or the error kind.
    pub outcome: &'a str,
}

impl<'a> AuditRecord<'a> {
    /// A record of `route` for `user`, started at `started` and ending now, with nothing
    /// known yet of the question and its SQL (outcome `ok`).
    pub fn new(user: &'a str, route: &'a str, started: std::time::Instant) -> Self {
        Self {
            time: now(),
            user,
            route,
            question: None,
            sql: None,
            tables: &[],
            rows: 0,
            duration_ms: started.elapsed().as_millis() as u64,
            outcome: "ok",
        }
    }
}

/// Where audit lines go.
#[derive(Clone)]
pub struct AuditLog {
    sink: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

impl AuditLog {
    /// A log to `target`: `-` for standard output, else a file appended to (created if
    /// missing).
    pub fn open(target: &str) -> Result<Self> {
        Self::open_with(target, false)
    }

    /// [`open`](Self::open), with `-` meaning standard error (for `dbqa mcp`, whose
    /// standard output carries the protocol).
    pub fn open_with(target: &str, dash_is_stderr: bool) -> Result<Self> {
        let sink: Box<dyn Write + Send> = if target == "-" && dash_is_stderr {
            Box::new(std::io::stderr())
        } else if target == "-" {
            Box::new(std::io::stdout())
        } else {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(Path::new(target))
                .map_err(|e| Error::File {
                    name: "DBQA_AUDIT_LOG",
                    message: format!("cannot open {target}: {e}"),
                })?;
            Box::new(file)
        };
        Ok(Self::to_writer(sink))
    }

    /// A log to any writer (tests).
    pub fn to_writer(sink: Box<dyn Write + Send>) -> Self {
        Self {
            sink: Arc::new(Mutex::new(sink)),
        }
    }

    /// Writes one record as a JSON line; a failing sink is logged, never fatal.
    pub fn write(&self, record: &AuditRecord<'_>) {
        let Ok(mut line) = serde_json::to_string(record) else {
            return;
        };
        line.push('\n');
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = sink.write_all(line.as_bytes()).and_then(|()| sink.flush()) {
            tracing::warn!("the audit log could not be written: {e}");
        }
    }
}

/// The current time for a record, RFC 3339 UTC with milliseconds.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
