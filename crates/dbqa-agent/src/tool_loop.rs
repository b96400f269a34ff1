//! The tool loop stage: model turns until SQL runs (or the model replies in words),
//! feeding guard and database errors back as tool results, at most `max_retries + 1`
//! SQL attempts.

use std::time::Instant;

use dbqa_core::{ChatRequest, DatabaseError, Message, ToolCall};
use dbqa_llm::{interpret_response, prepare_request};

use crate::context::samples_for;
use crate::prompt::{self, DESCRIBE_TABLES, RUN_SQL};
use crate::render::render_table;
use crate::state::{LoadedSchema, ms};
use crate::turn::{Outcome, Ran, Turn};
use crate::{AgentEvent, Error, Result};

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
    /// The failure, and the message the model gets back.
    Failed(Failure, String),
}

/// The SQL attempts so far and the last failure.
#[derive(Default)]
struct Attempts {
    count: u32,
    last: Option<Failure>,
}

impl Attempts {
    /// The error when the model runs out of attempts or turns.
    fn give_up(self) -> Error {
        let attempts = self.count;
        match self.last {
            Some(Failure::Validation(message)) => Error::ValidationFailed { attempts, message },
            Some(Failure::Execution(message)) => Error::ExecutionFailed { attempts, message },
            Some(Failure::Timeout(e)) => Error::Timeout(e),
            None => Error::NoAnswer,
        }
    }
}

impl Turn<'_> {
    /// Model turns until SQL runs or the model replies without SQL.
    pub(crate) async fn tool_loop(
        &mut self,
        mut request: ChatRequest,
        schema: &LoadedSchema,
    ) -> Result<Outcome> {
        let max_attempts = self.inner.config.max_retries + 1;
        let mut attempts = Attempts::default();
        for _turn in 0..max_attempts + EXTRA_TURNS {
            let reply = self.call_model(&request).await?;
            let mode = self.inner.config.model.tool_mode;
            let turn = interpret_response(&reply, mode);
            if turn.tool_calls.is_empty() {
                return match turn.text {
                    Some(text) => Ok(Outcome::Reply(text)),
                    None => Err(attempts.give_up()),
                };
            }
            request.messages.push(Message::assistant_tool_calls(
                reply.content.clone().unwrap_or_default(),
                turn.tool_calls.clone(),
            ));
            let mut ran = None;
            for call in &turn.tool_calls {
                let result = match (&ran, call.name.as_str()) {
                    (Some(_), _) => String::from("skipped: an earlier call answered"),
                    (None, DESCRIBE_TABLES) => self.describe(schema, call).await,
                    (None, RUN_SQL) => {
                        attempts.count += 1;
                        match self.run_sql(schema, call).await? {
                            SqlRun::Done(done) => {
                                let message = prompt::sql_result_message(&done.rows);
                                ran = Some(done);
                                message
                            }
                            SqlRun::Failed(failure, message) => {
                                attempts.last = Some(failure);
                                prompt::sql_error_message(&message)
                            }
                        }
                    }
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
            if attempts.count >= max_attempts {
                return Err(attempts.give_up());
            }
            self.status("correcting SQL");
        }
        Err(attempts.give_up())
    }

    /// One SQL-writing call, shaped for the tool mode, with its usage recorded.
    async fn call_model(&mut self, request: &ChatRequest) -> Result<dbqa_core::ChatResponse> {
        let started = Instant::now();
        // The conversation is kept native; each call shapes a copy for the tool mode.
        let mut wire = request.clone();
        prepare_request(&mut wire, self.inner.config.model.tool_mode);
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
            Ok(SqlRun::Failed(
                Failure::Validation(message.to_string()),
                message.to_string(),
            ))
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
        let accepted = match self.check_sql(sql) {
            Ok(accepted) => accepted,
            Err(rejection) => return invalid(&rejection.to_string()),
        };
        self.emit(AgentEvent::Sql {
            sql: accepted.sql.clone(),
        });
        self.status("running SQL");
        match self.execute(&accepted.sql).await {
            Ok((rows, from_query_cache)) => {
                self.response
                    .warnings
                    .extend(accepted.warnings.iter().map(|w| w.to_string()));
                Ok(SqlRun::Done(Ran {
                    sql: accepted.sql,
                    template,
                    rows,
                    from_query_cache,
                }))
            }
            Err(e) if e.is_unreachable() => Err(Error::DatabaseUnavailable(e)),
            Err(e @ DatabaseError::Timeout { .. }) => {
                let message = format!("{e}: write a cheaper query");
                Ok(SqlRun::Failed(Failure::Timeout(e), message))
            }
            Err(e) => {
                let error = e.to_string();
                let message =
                    match prompt::missing_column_hint(&error, &schema.schema, &accepted.tables) {
                        Some(hint) => format!("{error}\n{hint}"),
                        None => error.clone(),
                    };
                Ok(SqlRun::Failed(Failure::Execution(error), message))
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
        let samples = samples_for(self.inner, schema, &known).await;
        let mut out = String::from("<data>\n");
        for name in &names {
            match schema.schema.table(name) {
                Some(table) => out.push_str(&render_table(table, Some(&samples))),
                None => out.push_str(&format!("unknown table `{name}`")),
            }
            out.push('\n');
        }
        out.push_str("</data>\n");
        if known.len() < names.len() {
            let all: Vec<&str> = schema
                .schema
                .tables
                .iter()
                .map(|t| t.name.as_str())
                .collect();
            out.push_str(&format!("Tables that exist: {}\n", all.join(", ")));
        }
        out
    }
}
