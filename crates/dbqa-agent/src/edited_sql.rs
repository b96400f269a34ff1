//! SQL a person wrote or edited, answered as a turn of its own
//! ([`DatabaseQueryAgent::run_sql`](crate::DatabaseQueryAgent::run_sql)): the schema's
//! guard (its table lists, function allowlist and visibility), the row and byte limits,
//! the read-only transaction and the query-result cache, exactly as for the model's SQL;
//! no LLM call; the exchange recorded in the session, so follow-up questions build on the
//! edited SQL.

use dbqa_core::DatabaseError;

use crate::turn::{Outcome, Ran, Turn};
use crate::{Error, Result};

impl Turn<'_> {
    /// The stages of a person's SQL, in order.
    pub(crate) async fn answer_with_sql(&mut self, sql: &str) -> Result<()> {
        self.inner.ensure_open()?;
        self.sql_from_person = true;
        if sql.trim().is_empty() {
            return Err(Error::SqlRefused {
                message: "the SQL is empty".into(),
            });
        }
        let schema = self.inner.load_schema(&mut self.timings).await?;
        let accepted = self
            .check_sql(&schema, sql)
            .map_err(|rejection| Error::SqlRefused {
                message: rejection.to_string(),
            })?;
        let (rows, from_query_cache) = self
            .execute(&accepted.sql)
            .await
            .map_err(person_sql_failure)?;
        self.response.tables = accepted.tables;
        let ran = Ran {
            sql: accepted.sql,
            template: None,
            rows,
            from_query_cache,
        };
        self.finish(Outcome::Rows(ran)).await
    }
}

/// A database error on a person's SQL: theirs to fix, unless the database is down or
/// the query ran out of time.
fn person_sql_failure(error: DatabaseError) -> Error {
    if error.is_unreachable() || matches!(error, DatabaseError::Timeout { .. }) {
        return Error::from(error);
    }
    Error::SqlFailed {
        message: error.to_string(),
    }
}
