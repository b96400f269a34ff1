//! The SQL guard of dbqa: decides whether a statement (typically written by an LLM) may
//! run, and rewrites it so it cannot return more rows than allowed.
//!
//! It owns:
//! - [`Guard`] and [`GuardConfig`]: one statement in, [`Accepted`] or [`Rejection`] out;
//! - the policy: read-only means exactly one plain query (no DML, DDL, transaction
//!   control, `SELECT … INTO`, locking clauses, data-modifying CTEs, `EXPLAIN ANALYZE`);
//!   an allowlist of the functions analysts use, per dialect ([`functions`]), wherever a
//!   call appears; system catalogs refused unless allowed ([`rules`]); allow and block
//!   lists matched on every table the statement reads (joins, subqueries, CTE bodies,
//!   set operations, table functions), with the statement's own CTE names excluded and
//!   names resolved and compared the server's way ([`NameRules`]): qualified entries,
//!   the default schema, case rules, other databases refused;
//! - [`Guard::visible`]: the part of a schema the lists let anyone see (blocked means
//!   invisible, views over blocked tables included);
//! - the row-limit rewrite (`LIMIT`, `FETCH FIRST`, `TOP`, `OFFSET … FETCH`);
//! - [`Verdict`], the JSON form of a check;
//! - [`requalify_columns`]: a column written with the qualifier of a table that lacks it
//!   moved to the one table of the statement that has it (a join read only through such
//!   columns dropped), and [`rejoin_foreign_keys`]: a
//!   foreign-key column compared with the wrong column of the table it references moved
//!   to the referenced one, and [`join_missing_column`]: the table that has a column the
//!   query reads but never joined, joined along a key (repairs, checked again);
//!
//! Everything works on the statement as [sqlparser] parses it for the dialect, and the
//! SQL to run is rendered from that syntax tree, never copied from the input: a write
//! hidden in a comment or a second statement never reaches the database. A rendering
//! that holds quoted text with quote characters, comment markers or non-ASCII text is
//! parsed again and must read back identically, and reserved words used as bare names
//! are refused ([`Violation::Ambiguous`]): the text run is the text checked.
//!
//! It must not know about connections, drivers, async runtimes, LLMs or the agent: it
//! depends on `dbqa-core` (for [`Dialect`] and the schema) and sqlparser only, so it can vet SQL on its
//! own. It is one layer of defence: run what it accepts in a read-only transaction too.
//!
//! ```
//! use dbqa_core::Dialect;
//! use dbqa_guard::{Guard, GuardConfig};
//!
//! let guard = Guard::new(
//!     GuardConfig::new(Dialect::Postgres)
//!         .blocked_tables(["salaries"])
//!         .max_rows(Some(1_000)),
//! );
//!
//! // Keywords in names and strings are fine; the comment is dropped; a limit is added.
//! let ok = guard.check("SELECT created_at FROM events WHERE note = 'DROP TABLE' -- why")?;
//! assert_eq!(ok.sql, "SELECT created_at FROM events WHERE note = 'DROP TABLE' LIMIT 1000");
//! assert_eq!(ok.tables, ["events"]);
//!
//! // Every reason is reported, typed.
//! let err = guard
//!     .check("SELECT pg_sleep(10), * FROM public.Salaries FOR UPDATE")
//!     .unwrap_err();
//! let kinds: Vec<&str> = err.violations.iter().map(|v| v.kind()).collect();
//! assert_eq!(kinds, ["not_read_only", "forbidden_function", "table_blocked"]);
//! # Ok::<(), dbqa_guard::Rejection>(())
//! ```
//!
//! | Dialect | Row limit written as | System catalogs refused |
//! |---|---|---|
//! | SQLite | `LIMIT n` | `sqlite_*`, `pragma_*`, `information_schema.*` |
//! | PostgreSQL | `LIMIT n` (or a lowered `FETCH FIRST`) | `pg_catalog.*`, `information_schema.*`, `pg_toast.*`, unqualified `pg_*` |
//! | MySQL / MariaDB | `LIMIT n` | `mysql.*`, `information_schema.*`, `performance_schema.*`, `sys.*` |
//! | SQL Server | `TOP n`, `OFFSET … FETCH`, or `SELECT TOP n * FROM (…)` | `sys.*`, `information_schema.*`, `master`/`msdb`/`tempdb`, `sys*` views |
//!
//! This crate has no cargo features.

mod config;
mod filter;
pub mod functions;
mod guard;
mod limit;
mod lookup;
mod names;
mod orphaned_join;
mod rejoin;
mod relink;
mod requalify;
pub mod rules;
mod subquery_lookup;
mod syntax;
#[cfg(test)]
mod testutil;
mod translate;
mod unjoin;
mod unnest;
mod verdict;
mod view_key;
mod walk;

pub use config::{DEFAULT_MAX_LENGTH, GuardConfig};
pub use dbqa_core::{Dialect, NameRules};
pub use filter::{Filtered, TableFilter, apply_filters};
pub use guard::{Guard, referenced_tables};
pub use lookup::{LookupJoined, join_missing_column, join_missing_table};
pub use rejoin::{JoinChange, Rejoined, rejoin_foreign_keys};
pub use relink::{Relinked, relink_join};
pub use requalify::{Requalified, requalify_columns};
pub use subquery_lookup::join_missing_column_in_subquery;
pub use translate::{Translated, translate_functions};
pub use unjoin::{Unjoined, drop_missing_join};
pub use unnest::{Unnested, unnest_aggregates};
pub use verdict::{
    Accepted, Finding, Outcome, Rejection, StatementKind, Verdict, Violation, Warning,
};

/// The result of [`Guard::check`].
pub type Result<T, E = Rejection> = std::result::Result<T, E>;
