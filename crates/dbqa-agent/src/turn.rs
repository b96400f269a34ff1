//! One question on its way through the agent: [`Turn`] carries what every stage needs
//! (the question, the options, the chosen model, the event sink, the timings and the
//! response being built), and [`Turn::answer`] lists the stages in order. Each stage is a
//! method, here or in the module named after it (`context.rs`, `tool_loop.rs`,
//! `execute.rs`, `written.rs`). `docs/ARCHITECTURE.md` ("Life of a question") follows
//! the same order.

use std::sync::Arc;
use std::time::Instant;

use dbqa_cache::keys;
use dbqa_core::{AnswerMode, InjectionPolicy, Message, Rows};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::response::{CacheLevel, Timings};
use crate::state::{Inner, LoadedSchema, ms};
use crate::{
    AgentEvent, Error, QueryOptions, QueryResponse, Result, detect_casual, detect_injection,
};

/// Where streamed events go, when streaming.
pub(crate) type Sink<'a> = Option<&'a mpsc::UnboundedSender<AgentEvent>>;

/// History messages given to the model at most.
const HISTORY_MESSAGES: usize = 20;

/// What the LLM-response cache holds: the model's work, not the data, so a hit re-runs
/// the SQL (through the query-result cache) and never serves rows older than that.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedAnswer {
    sql: Option<String>,
    template: Option<String>,
    /// A plain reply without SQL, or the written answer.
    answer: Option<String>,
    /// Fingerprint of the rows the written answer describes.
    rows_fingerprint: Option<String>,
    model: String,
}

/// How a question ended, before the answer is written.
pub(crate) enum Outcome {
    /// A reply without SQL (casual conversation, or the model answered in words).
    Reply(String),
    /// SQL that ran.
    Rows(Ran),
}

/// SQL that ran, with what the model said about its answer.
pub(crate) struct Ran {
    /// The SQL as run (the guard's rendering).
    pub(crate) sql: String,
    /// The model's answer template, if any.
    pub(crate) template: Option<String>,
    pub(crate) rows: Rows,
    /// The rows came from the query-result cache.
    pub(crate) from_query_cache: bool,
}

/// One question in flight.
pub(crate) struct Turn<'a> {
    pub(crate) inner: &'a Inner,
    /// The question, trimmed.
    pub(crate) question: &'a str,
    pub(crate) options: &'a QueryOptions,
    pub(crate) sink: Sink<'a>,
    pub(crate) timings: Timings,
    pub(crate) response: QueryResponse,
    /// The model chosen for this question.
    pub(crate) model: String,
    /// How the answer is written.
    pub(crate) mode: AnswerMode,
    /// Earlier messages of the session, oldest first.
    pub(crate) history: Vec<Message>,
    /// The LLM-response cache key, once the schema and model are known.
    llm_key: Option<String>,
    /// The LLM-response cache entry this turn is answered from.
    hit: Option<CachedAnswer>,
    /// The SQL is a person's ([`run_edited_sql`], or a verified example's): no LLM call
    /// writes about it.
    pub(crate) sql_from_person: bool,
    /// The verified examples the prompt shows, closest first.
    pub(crate) prompt_examples: Vec<dbqa_core::VerifiedExample>,
}

/// Answers one question and records statistics.
pub(crate) async fn run(
    inner: &Arc<Inner>,
    question: &str,
    options: &QueryOptions,
    sink: Sink<'_>,
) -> Result<QueryResponse> {
    let started = Instant::now();
    inner.stats.question();
    let mut turn = Turn::new(inner, question, options, sink);
    let result = turn.answer().await;
    turn.conclude(result, started)
}

/// Runs SQL a person wrote as the answer to `question`, and records statistics.
pub(crate) async fn run_edited_sql(
    inner: &Arc<Inner>,
    question: &str,
    sql: &str,
    options: &QueryOptions,
) -> Result<QueryResponse> {
    let started = Instant::now();
    inner.stats.question();
    let mut turn = Turn::new(inner, question, options, None);
    let result = turn.answer_with_sql(sql).await;
    turn.conclude(result, started)
}

impl<'a> Turn<'a> {
    fn new(inner: &'a Inner, question: &'a str, options: &'a QueryOptions, sink: Sink<'a>) -> Self {
        let response = QueryResponse {
            question: question.to_string(),
            session_id: options.session_id.clone(),
            ..QueryResponse::default()
        };
        Self {
            inner,
            question: question.trim(),
            options,
            sink,
            timings: Timings::default(),
            response,
            model: String::new(),
            mode: options.answer_mode.unwrap_or(inner.config.answer_mode),
            history: Vec::new(),
            llm_key: None,
            hit: None,
            sql_from_person: false,
            prompt_examples: Vec::new(),
        }
    }

    /// The response with its timings, or the error, into the statistics.
    fn conclude(mut self, result: Result<()>, started: Instant) -> Result<QueryResponse> {
        self.timings.total_ms = ms(started);
        match result {
            Ok(()) => {
                let mut response = self.response;
                response.timings = self.timings;
                self.inner.stats.success(response.cached, &self.timings);
                Ok(response)
            }
            Err(error) => {
                tracing::debug!(kind = error.kind(), %error, "question failed");
                self.inner.stats.failure(error.kind(), &self.timings);
                Err(error)
            }
        }
    }

    /// The stages, in order.
    async fn answer(&mut self) -> Result<()> {
        self.check_input()?;
        if let Some(reply) = self.screen()? {
            return self.finish(Outcome::Reply(reply)).await;
        }
        self.load_history().await?;
        let schema = self.inner.load_schema(&mut self.timings).await?;
        self.choose_model(&schema).await;
        let examples = self.verified_examples(&schema).await;
        if let Some(outcome) = self.answer_from_verified_example(&examples).await? {
            return self.finish(outcome).await;
        }
        let shown = self.inner.config.examples_in_prompt;
        self.prompt_examples = examples
            .into_iter()
            .take(shown)
            .map(|u| u.scored.example)
            .collect();
        if let Some(outcome) = self.answer_from_llm_cache(&schema).await? {
            return self.finish(outcome).await;
        }
        let request = self.context(&schema).await;
        let outcome = self.tool_loop(request, &schema).await?;
        self.finish(outcome).await
    }

    /// The agent is open and the question is neither empty nor too long.
    fn check_input(&self) -> Result<()> {
        self.inner.ensure_open()?;
        if self.question.is_empty() {
            return Err(Error::EmptyQuestion);
        }
        let length = self.question.chars().count();
        let max = self.inner.config.safety.max_question_length;
        if length > max {
            return Err(Error::QuestionTooLong { length, max });
        }
        Ok(())
    }

    /// Casual conversation gets its reply here; prompt injection is refused or flagged.
    fn screen(&mut self) -> Result<Option<String>> {
        if let Some(casual) = detect_casual(self.question) {
            return Ok(Some(casual.reply().to_string()));
        }
        let policy = self.inner.config.safety.prompt_injection;
        if policy == InjectionPolicy::Off {
            return Ok(None);
        }
        let signals = detect_injection(self.question);
        if signals.is_empty() {
            return Ok(None);
        }
        let reason = signals
            .iter()
            .map(|s| s.kind.describe())
            .collect::<Vec<_>>()
            .join(" and ");
        if policy == InjectionPolicy::Refuse {
            return Err(Error::PromptInjection { reason });
        }
        self.response.warnings.push(format!(
            "this question looks like prompt injection: it {reason}"
        ));
        Ok(None)
    }

    /// The session's last messages, when asked within one.
    async fn load_history(&mut self) -> Result<()> {
        if let Some(id) = &self.options.session_id {
            let mut all = self.inner.sessions.load(id).await?;
            let skip = all.len().saturating_sub(HISTORY_MESSAGES);
            all.drain(..skip);
            self.history = all;
        }
        Ok(())
    }

    /// The model for this question (the configured tier's, else the one a local server
    /// serves), and with it the LLM-response cache key.
    async fn choose_model(&mut self, schema: &LoadedSchema) {
        let model = match self.inner.served_model().await {
            Some(served) => served.to_string(),
            None => dbqa_llm::choose_model(&self.inner.config.model, self.question).1,
        };
        self.llm_key = Some(keys::llm_key(
            self.question,
            &schema.fingerprint,
            &keys::session_fingerprint(&self.history),
            &model,
        ));
        self.model = model;
    }

    /// The model's earlier work on this question, re-run: no LLM call. `None` when there
    /// is none, or when its SQL no longer passes the guard (then the question is worked
    /// out afresh).
    async fn answer_from_llm_cache(&mut self, schema: &LoadedSchema) -> Result<Option<Outcome>> {
        if !self.options.use_cache {
            return Ok(None);
        }
        let Some(key) = &self.llm_key else {
            return Ok(None);
        };
        let Some(hit) = self.inner.caches.llm().get::<CachedAnswer>(key).await else {
            return Ok(None);
        };
        let outcome = match &hit.sql {
            None => Outcome::Reply(hit.answer.clone().unwrap_or_default()),
            Some(sql) => {
                let Ok(accepted) = self.check_sql(schema, sql) else {
                    return Ok(None);
                };
                let (rows, _) = self.execute(&accepted.sql).await.map_err(Error::from)?;
                self.response.tables = accepted.tables;
                Outcome::Rows(Ran {
                    sql: accepted.sql,
                    template: hit.template.clone(),
                    rows,
                    from_query_cache: false,
                })
            }
        };
        self.response.cached = CacheLevel::Llm;
        self.response.model = Some(hit.model.clone());
        self.hit = Some(hit);
        Ok(Some(outcome))
    }

    /// The last stage, for fresh answers and cache hits alike: the rows and the written
    /// answer into the response, the model's work into the LLM cache, the exchange into
    /// the session.
    pub(crate) async fn finish(&mut self, outcome: Outcome) -> Result<()> {
        match outcome {
            Outcome::Reply(text) => {
                self.cache_answer(None, None, Some(&text)).await;
                self.remember(&text, None).await;
                self.response.natural_response = Some(text);
            }
            Outcome::Rows(ran) => {
                if ran.from_query_cache {
                    self.response.cached = CacheLevel::Query;
                }
                self.fill_rows(&ran);
                let (natural, written) = self.natural_answer(&ran).await?;
                let answer = natural.as_deref().filter(|_| written);
                self.cache_answer(Some(&ran), ran.template.as_deref(), answer)
                    .await;
                self.remember(natural.as_deref().unwrap_or(""), Some(&ran.sql))
                    .await;
                self.response.natural_response = natural;
            }
        }
        Ok(())
    }

    /// The earlier written answer of the cache entry this turn came from, when it
    /// describes these very rows.
    pub(crate) fn earlier_answer(&self, rows: &Rows) -> Option<&str> {
        let hit = self.hit.as_ref()?;
        let same_rows = hit.rows_fingerprint.as_deref() == Some(keys::fingerprint(rows).as_str());
        hit.answer.as_deref().filter(|_| same_rows)
    }

    /// Whether this turn is answered from the LLM-response cache.
    pub(crate) fn is_cache_hit(&self) -> bool {
        self.hit.is_some()
    }

    /// Stores a fresh answer's SQL, template and written answer in the LLM cache.
    async fn cache_answer(&self, ran: Option<&Ran>, template: Option<&str>, answer: Option<&str>) {
        if self.hit.is_some() || !self.options.use_cache {
            return;
        }
        let Some(key) = &self.llm_key else {
            return;
        };
        let cached = CachedAnswer {
            sql: ran.map(|r| r.sql.clone()),
            template: template.map(str::to_string),
            answer: answer.map(str::to_string),
            rows_fingerprint: ran.map(|r| keys::fingerprint(&r.rows)),
            model: self
                .response
                .model
                .clone()
                .unwrap_or_else(|| self.model.clone()),
        };
        self.inner.caches.llm().set(key, &cached).await;
    }

    /// Columns, rows and SQL into the response (as the options ask) and the `Rows` event
    /// (a cache hit yields the whole answer at once: no event).
    fn fill_rows(&mut self, ran: &Ran) {
        let rows = &ran.rows;
        let columns: Vec<String> = rows.columns.iter().map(|c| c.name.clone()).collect();
        self.response.row_count = rows.len();
        self.response.truncated = rows.truncated;
        self.response.columns = columns.clone();
        if self.options.return_rows {
            self.response.rows = rows.rows.clone();
            self.response.chart = crate::chart::suggest(rows).map(|chart| chart.vega_lite());
        }
        if self.options.return_sql {
            self.response.sql = Some(ran.sql.clone());
        }
        if !self.is_cache_hit() {
            self.emit(AgentEvent::Rows {
                columns,
                rows: self.response.rows.clone(),
                row_count: rows.len(),
                truncated: rows.truncated,
            });
        }
    }

    /// Appends the exchange to the session; a store failure becomes a warning, not a lost
    /// answer.
    async fn remember(&mut self, answer: &str, sql: Option<&str>) {
        let Some(id) = &self.options.session_id else {
            return;
        };
        let assistant = match sql {
            Some(sql) => format!("{answer}\n(SQL: {sql})").trim_start().to_string(),
            None => answer.to_string(),
        };
        for message in [Message::user(self.question), Message::assistant(assistant)] {
            if let Err(e) = self.inner.sessions.append(id, &message).await {
                self.response
                    .warnings
                    .push(format!("the session history was not saved: {e}"));
                return;
            }
        }
    }

    /// Sends an event to the stream, if one listens.
    pub(crate) fn emit(&self, event: AgentEvent) {
        if let Some(sink) = self.sink {
            // A dropped stream just stops listening; the answer is still worked out.
            let _ = sink.send(event);
        }
    }

    /// A `Status` event.
    pub(crate) fn status(&self, message: &str) {
        self.emit(AgentEvent::Status {
            message: message.to_string(),
        });
    }
}
