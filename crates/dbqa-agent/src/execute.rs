//! The guard and the database, as the query path uses them: every SQL statement the
//! agent runs for a question goes through [`Turn::check_sql`] and then
//! [`Turn::execute`] (the query-result cache in front of the database).

use std::time::Instant;

use dbqa_cache::keys;
use dbqa_core::{DatabaseError, ExecuteOptions, Rows};
use dbqa_guard::{Accepted, Rejection};

use crate::state::{LoadedSchema, ms};
use crate::turn::Turn;

impl Turn<'_> {
    /// The verdict of the schema's guard on `sql`, timed.
    pub(crate) fn check_sql(
        &mut self,
        schema: &LoadedSchema,
        sql: &str,
    ) -> Result<Accepted, Rejection> {
        let started = Instant::now();
        let checked = schema.guard.check(sql);
        self.timings.guard_ms += ms(started);
        checked
    }

    /// Runs accepted SQL through the query-result cache; `true` when the rows came from it.
    pub(crate) async fn execute(&mut self, sql: &str) -> Result<(Rows, bool), DatabaseError> {
        let inner = self.inner;
        let use_cache = self.options.use_cache;
        let key = keys::query_key(inner.db.identity(), sql);
        if use_cache && let Some(rows) = inner.caches.query().get::<Rows>(&key).await {
            return Ok((rows, true));
        }
        let options = ExecuteOptions::from_safety(&inner.config.safety);
        let started = Instant::now();
        let rows = inner.db.execute(sql, &options).await;
        self.timings.execute_ms += ms(started);
        let rows = rows?;
        if use_cache {
            inner.caches.query().set(&key, &rows).await;
        }
        Ok((rows, false))
    }
}
