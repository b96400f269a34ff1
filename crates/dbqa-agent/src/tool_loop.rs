//! The tool loop stage: model turns until SQL runs (or the model replies in words),
//! feeding guard and database errors back as tool results, at most `max_retries + 1`
//! SQL attempts. A result that left out a number the question states is held while the
//! model reconsiders it once ([`crate::coverage`]); it answers unless a new query runs.

use std::time::Instant;

use std::sync::atomic::Ordering;

use dbqa_core::{ChatRequest, DatabaseError, Message, ToolCall, ToolMode};
use dbqa_guard::{Violation, Warning};
use dbqa_llm::{interpret_response, prepare_request};

use crate::prompt::{self, DESCRIBE_TABLES, RUN_SQL};
use crate::render::render_table;
use crate::state::{LoadedSchema, ms};
use crate::turn::{Outcome, Ran, Turn};
use crate::{AgentEvent, Error, Result};

/// Most repairs dbqa chains on one `run_sql` call before the model hears of its failure;
/// each costs a database run, no LLM call.
const REPAIR_ROUNDS: usize = 3;

/// Extra model turns allowed beyond the SQL attempts (for `describe_tables`).
const EXTRA_TURNS: u32 = 3;

/// Why the last SQL attempt failed, fed back to the model.
enum Failure {
    Validation(String),
    Execution(String),
    Timeout(DatabaseError),
}

/// What one `run_sql` call came to.
enum SqlRun {
    Done(Ran),
    /// The failure, what the model is told of it, and a hint to go with it.
    Failed {
        failure: Failure,
        error: String,
        hint: Option<String>,
    },
}

/// A result that ran but left out a number the question states, held while the model
/// reconsiders it, with the warnings its run gave.
struct Held {
    ran: Ran,
    warnings: Vec<String>,
}

/// The SQL attempts so far and the last failure.
#[derive(Default)]
struct Attempts {
    count: u32,
    last: Option<Failure>,
    /// The SQL of every attempt, whitespace-normalised.
    tried: Vec<String>,
}

/// The `sql` argument of a `run_sql` call with its whitespace normalised.
fn normalised_sql(call: &ToolCall) -> Option<String> {
    let args = call.arguments_json().ok()?;
    let sql = args.get("sql")?.as_str()?;
    let words: Vec<&str> = sql
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .collect();
    Some(words.join(" "))
}

/// The most of the model's closing words an error carries.
const REPLY_CHARS: usize = 300;

impl Attempts {
    /// Whether `call` runs SQL an earlier attempt already ran (and so failed with: a
    /// successful attempt ends the loop).
    fn repeats_failed(&self, call: &ToolCall) -> bool {
        normalised_sql(call).is_some_and(|sql| self.tried.contains(&sql))
    }

    fn remember(&mut self, call: &ToolCall) {
        if let Some(sql) = normalised_sql(call) {
            self.tried.push(sql);
        }
    }

    /// The error when the model runs out of attempts or turns, or gives up in words
    /// (`reply`) after SQL that failed: no SQL succeeded, so the question failed.
    fn give_up(self, reply: Option<&str>) -> Error {
        let attempts = self.count;
        let reply = reply.map(|r| r.chars().take(REPLY_CHARS).collect::<String>());
        match self.last {
            Some(Failure::Validation(message)) => Error::ValidationFailed {
                attempts,
                message,
                reply,
            },
            Some(Failure::Execution(message)) => Error::ExecutionFailed {
                attempts,
                message,
                reply,
            },
            Some(Failure::Timeout(e)) => Error::Timeout(e),
            None => Error::NoAnswer,
        }
    }
}

/// What the loop knows between turns: the SQL attempts, and a result held back while the
/// model reconsiders a query that left out a number the question states (it answers
/// unless the model's new query runs).
struct Progress {
    attempts: Attempts,
    max_attempts: u32,
    held: Option<Held>,
}

/// Where one `run_sql` call leaves the loop.
enum Step {
    /// Tell the model this and go on.
    Told(String),
    /// The query ran and answers; the model is told this.
    Ran(Ran, String),
    /// No more SQL: end with the held result or the failure.
    End,
}

impl Turn<'_> {
    /// Model turns until SQL runs or the model replies without SQL.
    pub(crate) async fn tool_loop(
        &mut self,
        mut request: ChatRequest,
        schema: &LoadedSchema,
    ) -> Result<Outcome> {
        let max_attempts = self.inner.config.max_retries + 1;
        let mut progress = Progress {
            attempts: Attempts::default(),
            max_attempts,
            held: None,
        };
        for _turn in 0..max_attempts + EXTRA_TURNS {
            let (reply, turn) = match self.model_turn(&request).await {
                Ok(turned) => turned,
                // Reconsidering is optional: a failed call keeps the answer there is.
                Err(e) if progress.held.is_none() => return Err(e),
                Err(_) => return self.end(progress, None),
            };
            if turn.tool_calls.is_empty() {
                return match turn.text {
                    Some(text) if progress.held.is_none() && progress.attempts.last.is_none() => {
                        Ok(Outcome::Reply(text))
                    }
                    // Words after failed SQL are no answer to a question about the data.
                    text => self.end(progress, text.as_deref()),
                };
            }
            // Calls read from the reply's text are the text: keeping both would show the
            // model its SQL twice in the correction turn, and small models copy that.
            let beside_calls = if reply.tool_calls.is_empty() {
                String::new()
            } else {
                reply.content.clone().unwrap_or_default()
            };
            request.messages.push(Message::assistant_tool_calls(
                beside_calls,
                turn.tool_calls.clone(),
            ));
            let mut ran = None;
            for call in &turn.tool_calls {
                let result = match (&ran, call.name.as_str()) {
                    (Some(_), _) => String::from("skipped: an earlier call answered"),
                    (None, DESCRIBE_TABLES) => self.describe(schema, call).await,
                    (None, RUN_SQL) => match self.sql_call(schema, call, &mut progress).await? {
                        Step::Told(message) => message,
                        Step::Ran(done, message) => {
                            ran = Some(done);
                            message
                        }
                        Step::End => return self.end(progress, None),
                    },
                    (None, other) => {
                        format!("error: unknown tool `{other}`: use {RUN_SQL} or {DESCRIBE_TABLES}")
                    }
                };
                request
                    .messages
                    .push(Message::tool_result(&call.id, result));
            }
            if let Some(ran) = ran {
                return Ok(Outcome::Rows(ran));
            }
            if progress.attempts.count >= max_attempts {
                return self.end(progress, None);
            }
            self.status("correcting SQL");
        }
        self.end(progress, None)
    }

    /// One `run_sql` call of the model's: run it, hold a result that left out a number
    /// the question states (once), and say what the model is told.
    async fn sql_call(
        &mut self,
        schema: &LoadedSchema,
        call: &ToolCall,
        progress: &mut Progress,
    ) -> Result<Step> {
        if progress.attempts.repeats_failed(call) {
            // The same SQL again fails again (or, after a reconsidering, stands by the
            // held result); more turns only cost time.
            if progress.held.is_none() {
                progress.attempts.count += 1;
            }
            return Ok(Step::End);
        }
        progress.attempts.count += 1;
        progress.attempts.remember(call);
        let warnings_before = self.response.warnings.len();
        match self.run_sql(schema, call).await? {
            SqlRun::Done(done) => {
                let missed = crate::coverage::missed_numbers(self.question, &done.sql);
                let reconsider = progress.held.is_none()
                    && !missed.is_empty()
                    && progress.attempts.count < progress.max_attempts;
                if reconsider {
                    let message = prompt::missed_numbers_message(&done.rows, &missed);
                    let warnings = self.response.warnings.split_off(warnings_before);
                    progress.held = Some(Held {
                        ran: done,
                        warnings,
                    });
                    return Ok(Step::Told(message));
                }
                let message = if self.inner.config.safety.send_rows_to_llm {
                    prompt::sql_result_message(&done.rows)
                } else {
                    prompt::sql_result_summary(&done.rows)
                };
                Ok(Step::Ran(done, message))
            }
            SqlRun::Failed { .. } if progress.held.is_some() => {
                // The reconsidered query failed: the first one answers.
                self.response.warnings.truncate(warnings_before);
                Ok(Step::End)
            }
            SqlRun::Failed {
                failure,
                error,
                hint,
            } => {
                progress.attempts.last = Some(failure);
                Ok(Step::Told(prompt::sql_error_message(
                    &error,
                    hint.as_deref(),
                )))
            }
        }
    }

    /// The end of the loop without a new result: the held one, with the warnings its run
    /// gave, else the failure (with the model's closing words, `reply`).
    fn end(&mut self, progress: Progress, reply: Option<&str>) -> Result<Outcome> {
        match progress.held {
            Some(held) => {
                self.response.warnings.extend(held.warnings);
                Ok(Outcome::Rows(held.ran))
            }
            None => Err(progress.attempts.give_up(reply)),
        }
    }

    /// One model turn. In `auto` mode, a server that answers tools without a native tool
    /// call (llama.cpp and other servers without tool calls) is asked again in `text`
    /// mode, and this agent uses `text` mode from then on.
    async fn model_turn(
        &mut self,
        request: &ChatRequest,
    ) -> Result<(dbqa_core::ChatResponse, dbqa_llm::ModelTurn)> {
        let inner = self.inner;
        let mode = inner.tool_mode();
        let reply = self.call_model(request, mode).await?;
        tracing::debug!(
            %mode,
            content = reply.content.as_deref().unwrap_or(""),
            tool_calls = reply.tool_calls.len(),
            "model turn"
        );
        if !reply.tool_calls.is_empty() {
            inner.native_tools_seen.store(true, Ordering::Relaxed);
        }
        let turn = interpret_response(&reply, mode);
        let no_native_call = reply.tool_calls.is_empty() && !request.tools.is_empty();
        if mode != ToolMode::Auto
            || !no_native_call
            || inner.native_tools_seen.load(Ordering::Relaxed)
        {
            return Ok((reply, turn));
        }
        // Tools answered in text: this server makes no tool calls, and every later turn
        // uses text mode (a shorter prompt, without the tool definitions).
        tracing::info!(
            "the LLM server answered tools without a tool call: using LLM_TOOL_MODE=text from now on"
        );
        inner.tools_unsupported.store(true, Ordering::Relaxed);
        if !turn.tool_calls.is_empty() {
            // The call written as text is read like a native one: no second request.
            return Ok((reply, turn));
        }
        // Nothing usable (often the tool definitions echoed back): the reply is dropped
        // rather than kept in the conversation, and the turn is asked again in text mode.
        let reply = self.call_model(request, ToolMode::Text).await?;
        let turn = interpret_response(&reply, ToolMode::Text);
        Ok((reply, turn))
    }

    /// One SQL-writing call, shaped for `mode`, with its usage recorded.
    async fn call_model(
        &mut self,
        request: &ChatRequest,
        mode: ToolMode,
    ) -> Result<dbqa_core::ChatResponse> {
        let started = Instant::now();
        // The conversation is kept native; each call shapes a copy for the tool mode.
        let mut wire = request.clone();
        prepare_request(&mut wire, mode);
        let reply = self.inner.llm.chat(&wire).await;
        self.timings.llm_ms += ms(started);
        let reply = reply?;
        self.inner.stats.llm_call(reply.usage);
        self.response.usage.add(reply.usage);
        self.response.llm_calls += 1;
        if self.response.model.is_none() {
            self.response.model = Some(if reply.model.is_empty() {
                request.model.clone()
            } else {
                reply.model.clone()
            });
        }
        Ok(reply)
    }

    /// One `run_sql` call: its arguments, the guard, the database.
    async fn run_sql(&mut self, schema: &LoadedSchema, call: &ToolCall) -> Result<SqlRun> {
        let invalid = |message: &str| {
            Ok(SqlRun::Failed {
                failure: Failure::Validation(message.to_string()),
                error: message.to_string(),
                hint: None,
            })
        };
        let Ok(args) = call.arguments_json() else {
            return invalid("the run_sql arguments are not valid JSON: send {\"sql\": \"…\"}");
        };
        let Some(sql) = args
            .get("sql")
            .and_then(|v| v.as_str())
            .filter(|s| !s.trim().is_empty())
        else {
            return invalid("run_sql needs a non-empty `sql` argument");
        };
        let template = args
            .get("answer_template")
            .and_then(|v| v.as_str())
            .filter(|t| !t.trim().is_empty())
            .map(str::to_string);
        // A date function of another dialect (`YEAR(x)` on SQLite) becomes the dialect's
        // exact equivalent: the SQL shown is the one that ran, so no warning is needed.
        let allowed = &schema.guard.config().allowed_functions;
        let translated = dbqa_guard::translate_functions(sql, schema.schema.dialect, allowed);
        let sql = translated.as_ref().map_or(sql, |t| t.sql.as_str());
        // What dbqa changed before the first run, said in the response once a run works.
        let mut changes = Vec::new();
        // A join that runs but misses its foreign key returns wrong rows without a word:
        // it is mended before the query runs, and the response says so.
        let rejoined = dbqa_guard::rejoin_foreign_keys(sql, &schema.schema);
        let sql = rejoined.as_ref().map_or(sql, |r| r.sql.as_str());
        changes.extend(rejoined.iter().flat_map(rejoin_warnings));
        // An aggregate of an aggregate, which every database refuses, is written out as
        // the two steps it means.
        let named = crate::selection::tables_named(&schema.schema, self.question);
        let unnested = dbqa_guard::unnest_aggregates(sql, &schema.schema, &named);
        let sql = unnested.as_ref().map_or(sql, |u| u.sql.as_str());
        changes.extend(unnested.as_ref().map(unnest_warning));
        // The glossary's rules for the terms the question uses hold whatever the model
        // wrote ("revenue leaves cancelled orders out").
        let rules = self.inner.glossary.filters_for(self.question);
        let filtered = dbqa_guard::apply_filters(sql, schema.schema.dialect, &rules);
        let sql = filtered.as_ref().map_or(sql, |f| f.sql.as_str());
        changes.extend(filtered.iter().flat_map(filter_warnings));
        let first = self
            .check_and_execute(schema, sql, template.clone())
            .await?;
        if matches!(first, SqlRun::Done(_)) {
            self.response.warnings.extend(changes);
            return Ok(first);
        }
        let SqlRun::Failed {
            failure: Failure::Execution(error),
            ..
        } = &first
        else {
            return Ok(first);
        };
        // A repair can uncover the next mistake (a join added, then a column of the
        // wrong table): each round repairs what the last run's error names.
        let (mut sql, mut error) = (sql.to_string(), error.clone());
        for _ in 0..REPAIR_ROUNDS {
            let Some(repaired) = crate::correction::repaired(&error, &sql, &schema.schema) else {
                break;
            };
            changes.extend(repaired.warnings);
            // A repair can bring in a table a rule is about (a view joined for its column).
            let refiltered =
                dbqa_guard::apply_filters(&repaired.sql, schema.schema.dialect, &rules);
            changes.extend(refiltered.iter().flat_map(filter_warnings));
            let repaired_sql = refiltered.map_or(repaired.sql, |f| f.sql);
            match self
                .check_and_execute(schema, &repaired_sql, template.clone())
                .await?
            {
                SqlRun::Done(done) => {
                    self.response.warnings.extend(changes);
                    return Ok(SqlRun::Done(done));
                }
                SqlRun::Failed {
                    failure: Failure::Execution(next),
                    ..
                } => (sql, error) = (repaired_sql, next),
                SqlRun::Failed { .. } => break,
            }
        }
        // The model is told of its own SQL's failure, not of dbqa's attempts.
        Ok(first)
    }

    /// One statement through the guard and the database.
    async fn check_and_execute(
        &mut self,
        schema: &LoadedSchema,
        sql: &str,
        template: Option<String>,
    ) -> Result<SqlRun> {
        let accepted = match self.check_sql(schema, sql) {
            Ok(accepted) => accepted,
            Err(rejection) => {
                let functions = rejection.violations.iter().filter_map(|v| match v {
                    Violation::ForbiddenFunction { name } => Some(name.as_str()),
                    _ => None,
                });
                let hint = crate::correction::function_hint(functions, schema.schema.dialect);
                let error = rejection.to_string();
                return Ok(SqlRun::Failed {
                    failure: Failure::Validation(error.clone()),
                    error,
                    hint,
                });
            }
        };
        self.emit(AgentEvent::Sql {
            sql: accepted.sql.clone(),
        });
        self.status("running SQL");
        match self.execute(&accepted.sql).await {
            Ok((rows, from_query_cache)) => {
                // A cut result says so in `truncated`; the rewrite itself is no news.
                let worth_saying = accepted
                    .warnings
                    .iter()
                    .filter(|w| !matches!(w, Warning::RowLimitApplied { .. }))
                    .map(|w| w.to_string());
                self.response.warnings.extend(worth_saying);
                self.response.tables = accepted.tables.clone();
                Ok(SqlRun::Done(Ran {
                    sql: accepted.sql,
                    template,
                    rows,
                    from_query_cache,
                }))
            }
            Err(e) if e.is_unreachable() => Err(Error::DatabaseUnavailable(e)),
            Err(e @ DatabaseError::Timeout { .. }) => Ok(SqlRun::Failed {
                error: e.to_string(),
                hint: Some(String::from("Write a cheaper query.")),
                failure: Failure::Timeout(e),
            }),
            Err(e) => {
                let error = e.to_string();
                let hint = crate::correction::hint(&error, &schema.schema, &accepted.tables);
                Ok(SqlRun::Failed {
                    failure: Failure::Execution(error.clone()),
                    error,
                    hint,
                })
            }
        }
    }

    /// One `describe_tables` call: the named tables in full, as data.
    async fn describe(&self, schema: &LoadedSchema, call: &ToolCall) -> String {
        let names: Vec<String> = call
            .arguments_json()
            .ok()
            .and_then(|v| v.get("names").cloned())
            .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
            .unwrap_or_default();
        if names.is_empty() {
            return String::from("error: describe_tables needs {\"names\": [\"table\", …]}");
        }
        let known: Vec<String> = names
            .iter()
            .filter_map(|n| schema.schema.table(n).map(|t| t.name.clone()))
            .collect();
        let knowledge = self.inner.knowledge(schema).await;
        let samples = Some(&knowledge.samples);
        let mut text = String::new();
        for name in &names {
            match schema.schema.table(name) {
                Some(table) => text.push_str(&render_table(table, samples)),
                None => text.push_str(&format!("unknown table `{name}`")),
            }
            text.push('\n');
        }
        if known.len() < names.len() {
            let all: Vec<&str> = schema
                .schema
                .tables
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            text.push_str(&format!("Tables that exist: {}\n", all.join(", ")));
        }
        prompt::as_data(&text)
    }
}

/// What the response says of the joins dbqa moved onto their foreign keys.
fn rejoin_warnings(rejoined: &dbqa_guard::Rejoined) -> Vec<String> {
    rejoined
        .changes
        .iter()
        .map(|change| {
            format!(
                "`{}` does not follow the key {}: dbqa joined `{}`",
                change.written, change.key, change.repaired
            )
        })
        .collect()
}

/// What the response says when dbqa computed a nested aggregate in two steps.
fn unnest_warning(unnested: &dbqa_guard::Unnested) -> String {
    match &unnested.grouped_by {
        Some(per) => format!(
            "an aggregate of an aggregate needs groups: dbqa computed the inner one per `{per}` first"
        ),
        None => String::from(
            "an aggregate of an aggregate: dbqa computed the inner one per group first",
        ),
    }
}

/// What the response says of each glossary rule dbqa added to the query.
fn filter_warnings(filtered: &dbqa_guard::Filtered) -> Vec<String> {
    filtered
        .added
        .iter()
        .map(|condition| format!("the glossary's rule `{condition}` was added to the query"))
        .collect()
}
