//! The verified-examples stage: the examples of this database most like the question
//! (from the example store and `EXAMPLES_FILE`), each checked by the schema's guard. One
//! that asks the same thing answers the question by re-running its SQL, with no LLM call;
//! otherwise the closest few go into the prompt (`context.rs`). An example whose SQL no
//! longer passes the guard or no longer runs is dropped, with a log line.

use dbqa_core::{DatabaseError, VerifiedExample};
use dbqa_guard::Accepted;

use crate::examples::{same_question, similarity};
use crate::state::LoadedSchema;
use crate::turn::{Outcome, Ran, Turn};
use crate::{Error, Result};

/// Examples less alike than this are not worth showing.
const MIN_SIMILARITY: f32 = 0.2;

/// An example the guard accepts, with its verdict (the SQL as it would run).
pub(crate) struct Usable {
    pub(crate) scored: Scored,
    accepted: Accepted,
}

/// An example and how alike its question is to this one.
pub(crate) struct Scored {
    pub(crate) example: VerifiedExample,
    score: f32,
    /// From the store (it can be removed there), else from the file.
    stored: bool,
}

impl Turn<'_> {
    /// The usable examples most like the question, closest first: at most
    /// `EXAMPLES_IN_PROMPT` of them, or one when only reuse needs them.
    pub(crate) async fn verified_examples(&mut self, schema: &LoadedSchema) -> Vec<Usable> {
        let config = &self.inner.config;
        let wanted = config
            .examples_in_prompt
            .max(usize::from(config.reuse_verified_examples));
        if wanted == 0 {
            return Vec::new();
        }
        let mut scored: Vec<Scored> = self
            .all_examples()
            .await
            .into_iter()
            .map(|(example, stored)| Scored {
                score: similarity(self.question, &example.question),
                example,
                stored,
            })
            .filter(|s| s.score >= MIN_SIMILARITY)
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut usable = Vec::new();
        for candidate in scored {
            if usable.len() == wanted {
                break;
            }
            match self.check_sql(schema, &candidate.example.sql) {
                Ok(accepted) => usable.push(Usable {
                    scored: candidate,
                    accepted,
                }),
                Err(rejection) => self.drop_example(&candidate, &rejection.to_string()).await,
            }
        }
        usable
    }

    /// The store's examples of this database and the file's (a stored one wins over the
    /// file's with the same id), with whether each is stored. A store failure leaves the
    /// store's out, with a log line: examples help, they are not needed.
    async fn all_examples(&self) -> Vec<(VerifiedExample, bool)> {
        let inner = self.inner;
        let stored = match inner.examples.list(inner.db.identity()).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!("verified examples not read: {e}");
                Vec::new()
            }
        };
        let dropped = inner.dropped_file_examples();
        let from_file: Vec<(VerifiedExample, bool)> = inner
            .file_examples
            .iter()
            .filter(|f| !dropped.contains(&f.id) && !stored.iter().any(|s| s.id == f.id))
            .map(|e| (e.clone(), false))
            .collect();
        stored
            .into_iter()
            .map(|e| (e, true))
            .chain(from_file)
            .collect()
    }

    /// The answer of the closest example when it asks the same thing, re-run: no LLM call.
    pub(crate) async fn answer_from_verified_example(
        &mut self,
        examples: &[Usable],
    ) -> Result<Option<Outcome>> {
        if !self.inner.config.reuse_verified_examples {
            return Ok(None);
        }
        let Some(Usable {
            scored: best,
            accepted,
        }) = examples
            .first()
            .filter(|u| same_question(self.question, &u.scored.example.question))
        else {
            return Ok(None);
        };
        let accepted = accepted.clone();
        self.status("running a verified example's SQL");
        let (rows, from_query_cache) = match self.execute(&accepted.sql).await {
            Ok(ran) => ran,
            Err(e) if e.is_unreachable() || matches!(e, DatabaseError::Timeout { .. }) => {
                return Err(Error::from(e));
            }
            Err(e) => {
                self.drop_example(best, &e.to_string()).await;
                return Ok(None);
            }
        };
        self.sql_from_person = true;
        self.response.tables = accepted.tables;
        self.response.verified_example = Some(best.example.id.clone());
        Ok(Some(Outcome::Rows(Ran {
            sql: accepted.sql,
            template: None,
            rows,
            from_query_cache,
        })))
    }

    /// Forgets an example that no longer works: removed from the store, or skipped from
    /// now on when it comes from the file.
    async fn drop_example(&self, scored: &Scored, why: &str) {
        let example = &scored.example;
        tracing::warn!(
            id = %example.id,
            question = %example.question,
            "verified example dropped: its SQL no longer works ({why})"
        );
        let inner = self.inner;
        if !scored.stored {
            inner.drop_file_example(&example.id);
        } else if let Err(e) = inner
            .examples
            .remove(inner.db.identity(), &example.id)
            .await
        {
            tracing::warn!("verified example {} not removed: {e}", example.id);
        }
    }
}
