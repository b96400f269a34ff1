//! [`DatabaseQueryAgent`]: the public face of the query path.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use dbqa_core::{AgentConfig, Message, Schema, SessionInfo, Table, VerifiedExample};
use futures::Stream;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::builder::AgentBuilder;
use crate::session::ChatSession;
use crate::state::Inner;
use crate::stats::Stats;
use crate::{AgentEvent, QueryOptions, QueryResponse, Result};

/// Answers questions about one database in plain language.
///
/// Cheap to clone: clones share the connection pool, caches, sessions and statistics.
///
/// ```no_run
/// # async fn run() -> dbqa_agent::Result<()> {
/// let agent = dbqa_agent::DatabaseQueryAgent::from_env().await?;
/// let answer = agent.query("How many customers are in France?").await?;
/// println!("{}", answer.natural_response.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DatabaseQueryAgent {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for DatabaseQueryAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseQueryAgent")
            .field("database", &self.inner.db.identity())
            .field("llm", &self.inner.llm.name())
            .finish_non_exhaustive()
    }
}

/// A table as `schema_info` reports it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchemaInfo {
    /// The database's dialect.
    pub dialect: String,
    /// Tables and views with columns, keys and indexes (foreign keys emptied when not asked for).
    pub tables: Vec<Table>,
    /// Every foreign key as `table.col -> table.col` (empty when not asked for).
    pub relationships: Vec<Relationship>,
}

/// One foreign-key relationship.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Relationship {
    /// The referencing table.
    pub from_table: String,
    /// The referencing columns.
    pub from_columns: Vec<String>,
    /// The referenced table.
    pub to_table: String,
    /// The referenced columns.
    pub to_columns: Vec<String>,
}

impl DatabaseQueryAgent {
    /// A builder over the default configuration ([`AgentBuilder::new`]).
    pub fn builder() -> AgentBuilder {
        AgentBuilder::new()
    }

    /// An agent configured from the environment and `.env` ([`AgentBuilder::from_env`]).
    pub async fn from_env() -> Result<Self> {
        AgentBuilder::from_env()?.build().await
    }

    /// The configuration in effect.
    pub fn config(&self) -> &AgentConfig {
        &self.inner.config
    }

    /// The tool mode the agent asks in now: the configured one, or `text` once `auto`
    /// found that the LLM server answers tools in text (it makes no tool calls). A
    /// program that builds a new agent per question can remember this and configure
    /// `text` next time, as `dbqa ask` does.
    pub fn tool_mode_in_use(&self) -> dbqa_core::ToolMode {
        self.inner.tool_mode()
    }

    /// Answers a question with the default options.
    pub async fn query(&self, question: &str) -> Result<QueryResponse> {
        self.query_with(question, QueryOptions::default()).await
    }

    /// Answers a question with explicit options.
    pub async fn query_with(&self, question: &str, options: QueryOptions) -> Result<QueryResponse> {
        crate::turn::run(&self.inner, question, &options, None).await
    }

    /// Runs SQL a person wrote or edited as the answer to `question` (the question it
    /// answers, recorded with it in the session; the SQL itself when there is none).
    ///
    /// The SQL passes the same guard, limits and read-only transaction as the model's;
    /// no LLM call is made (the answer in words is a plain sentence about the rows). A
    /// refusal is [`Error::SqlRefused`](crate::Error::SqlRefused), a database error
    /// [`Error::SqlFailed`](crate::Error::SqlFailed).
    ///
    /// ```no_run
    /// # async fn run(agent: dbqa_agent::DatabaseQueryAgent) -> dbqa_agent::Result<()> {
    /// let edited = "SELECT country, COUNT(*) AS n FROM customers GROUP BY country";
    /// let answer = agent
    ///     .run_sql(edited, Some("Customers per country?"), dbqa_agent::QueryOptions::default())
    ///     .await?;
    /// assert_eq!(answer.llm_calls, 0);
    /// # Ok(()) }
    /// ```
    pub async fn run_sql(
        &self,
        sql: &str,
        question: Option<&str>,
        options: QueryOptions,
    ) -> Result<QueryResponse> {
        let question = question
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .unwrap_or(sql);
        crate::turn::run_edited_sql(&self.inner, question, sql, &options).await
    }

    /// Answers a question as a stream of events ending with `Done` (or an error).
    pub fn query_stream(
        &self,
        question: &str,
    ) -> impl Stream<Item = Result<AgentEvent>> + Send + use<> {
        self.query_stream_with(question, QueryOptions::default())
    }

    /// [`query_stream`](Self::query_stream) with explicit options.
    pub fn query_stream_with(
        &self,
        question: &str,
        options: QueryOptions,
    ) -> impl Stream<Item = Result<AgentEvent>> + Send + use<> {
        let (tx, rx) = mpsc::channel::<Result<AgentEvent>>(64);
        let inner = Arc::clone(&self.inner);
        let question = question.to_string();
        tokio::spawn(async move {
            let (event_tx, mut event_rx) = mpsc::unbounded_channel::<AgentEvent>();
            let forward = {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while let Some(event) = event_rx.recv().await {
                        if tx.send(Ok(event)).await.is_err() {
                            break;
                        }
                    }
                })
            };
            let result = crate::turn::run(&inner, &question, &options, Some(&event_tx)).await;
            drop(event_tx);
            // Every event is delivered before the final one.
            let _ = forward.await;
            let last = result.map(|response| AgentEvent::Done {
                response: Box::new(response),
            });
            let _ = tx.send(last).await;
        });
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
    }

    /// A chat session with this id (an existing id continues its history).
    pub fn create_session(&self, id: impl Into<String>) -> ChatSession {
        ChatSession::new(self.clone(), id.into())
    }

    /// Every session, most recently active first.
    pub async fn list_sessions(&self) -> Result<Vec<SessionInfo>> {
        Ok(self.inner.sessions.list().await?)
    }

    /// A session's messages, oldest first.
    pub async fn session_history(&self, id: &str) -> Result<Vec<Message>> {
        Ok(self.inner.sessions.load(id).await?)
    }

    /// Forgets a session's messages but keeps it listed.
    pub async fn clear_session(&self, id: &str) -> Result<()> {
        Ok(self.inner.sessions.clear(id).await?)
    }

    /// Removes a session entirely.
    pub async fn delete_session(&self, id: &str) -> Result<()> {
        Ok(self.inner.sessions.delete(id).await?)
    }

    /// Confirms `sql` as the answer to `question` on this database: a verified example,
    /// shown to the model for similar questions and re-run for the same question. The
    /// SQL must pass the guard and run ([`Error::SqlRefused`](crate::Error::SqlRefused),
    /// [`Error::SqlFailed`](crate::Error::SqlFailed)); the same question confirmed again
    /// replaces its SQL.
    pub async fn add_example(&self, question: &str, sql: &str) -> Result<VerifiedExample> {
        if question.trim().is_empty() {
            return Err(crate::Error::EmptyQuestion);
        }
        self.run_sql(
            sql,
            Some(question),
            QueryOptions::default().return_rows(false),
        )
        .await?;
        let example = crate::examples::new_example(question, sql);
        self.inner
            .examples
            .put(self.inner.db.identity(), &example)
            .await?;
        Ok(example)
    }

    /// The verified examples of this database: those confirmed in the store, oldest
    /// first, then those of `EXAMPLES_FILE`.
    pub async fn examples(&self) -> Result<Vec<VerifiedExample>> {
        let mut all = self.inner.examples.list(self.inner.db.identity()).await?;
        for example in &self.inner.file_examples {
            if !all.iter().any(|e| e.id == example.id) {
                all.push(example.clone());
            }
        }
        Ok(all)
    }

    /// Removes a confirmed example; `false` when the store has none with that id
    /// (`EXAMPLES_FILE`'s are changed in the file).
    pub async fn remove_example(&self, id: &str) -> Result<bool> {
        Ok(self
            .inner
            .examples
            .remove(self.inner.db.identity(), id)
            .await?)
    }

    /// The database schema (loaded once, then cached).
    pub async fn schema(&self) -> Result<Schema> {
        let mut timings = crate::Timings::default();
        Ok(self.inner.load_schema(&mut timings).await?.schema.clone())
    }

    /// The schema as tables plus relationships, for display and the HTTP API.
    pub async fn schema_info(&self, include_foreign_keys: bool) -> Result<SchemaInfo> {
        let schema = self.schema().await?;
        let relationships = if include_foreign_keys {
            schema
                .relationships()
                .map(|(table, fk)| Relationship {
                    from_table: table.name.clone(),
                    from_columns: fk.columns.clone(),
                    to_table: fk.referenced_table.clone(),
                    to_columns: fk.referenced_columns.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        let tables = schema
            .tables
            .into_iter()
            .map(|mut t| {
                if !include_foreign_keys {
                    t.foreign_keys.clear();
                }
                t
            })
            .collect();
        Ok(SchemaInfo {
            dialect: schema.dialect.to_string(),
            tables,
            relationships,
        })
    }

    /// Statistics so far, with the pool and session counts read now.
    pub async fn stats(&self) -> Stats {
        let mut stats = self.inner.stats.snapshot();
        stats.pool = self.inner.db.pool_status();
        stats.sessions = self
            .inner
            .sessions
            .list()
            .await
            .map_or(0, |s| s.len() as u64);
        stats
    }

    /// Per-level cache statistics.
    pub fn cache_stats(&self) -> dbqa_cache::CachesStats {
        self.inner.caches.stats()
    }

    /// Closes the database pool; later questions fail with [`Error::Closed`](crate::Error::Closed).
    pub async fn close(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.db.close().await;
    }
}
