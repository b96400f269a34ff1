//! The query path (DESIGN.md §3): screen, LLM cache, schema, relevant tables, tool loop
//! with guard and self-correction, execution with the query cache, answer, session,
//! statistics.

use std::sync::Arc;
use std::time::Instant;

use dbqa_cache::keys;
use dbqa_core::{
    AnswerMode, ChatRequest, DatabaseError, ExecuteOptions, InjectionPolicy, Message, Rows, Schema,
    StreamEvent, ToolCall, ToolMode,
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, mpsc};

use crate::agent::{DatabaseQueryAgent, Inner, LoadedSchema};
use crate::prompt::{self, DESCRIBE_TABLES, PromptContext, RUN_SQL};
use crate::render::{SampleValues, render_schema, render_table};
use crate::response::{CacheLevel, Timings};
use crate::{
    AgentEvent, Error, QueryOptions, QueryResponse, Result, detect_casual, detect_injection,
    fill_template, select_tables,
};
use dbqa_llm::{interpret_response, prepare_request};

/// Where streamed events go, when streaming.
pub(crate) type Sink<'a> = Option<&'a mpsc::UnboundedSender<AgentEvent>>;

/// History messages given to the model at most.
const HISTORY_MESSAGES: usize = 20;
/// Extra model turns allowed beyond the SQL attempts (for `describe_tables`).
const EXTRA_TURNS: u32 = 3;

/// What the LLM-response cache holds: the model's work, not the data, so a hit re-runs
/// the SQL (through the query-result cache) and never serves rows older than that.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CachedAnswer {
    sql: Option<String>,
    template: Option<String>,
    /// A plain reply without SQL, or the written answer.
    answer: Option<String>,
    /// Fingerprint of the rows the written answer describes.
    rows_fingerprint: Option<String>,
    model: String,
}

fn emit(sink: Sink<'_>, event: AgentEvent) {
    if let Some(sink) = sink {
        // A dropped stream just stops listening; the answer is still worked out.
        let _ = sink.send(event);
    }
}

fn status(sink: Sink<'_>, message: &str) {
    emit(
        sink,
        AgentEvent::Status {
            message: message.to_string(),
        },
    );
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
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
    let mut timings = Timings::default();
    let result = answer(inner, question, options, sink, &mut timings).await;
    timings.total_ms = ms(started);
    match result {
        Ok(mut response) => {
            response.timings = timings;
            inner.stats.success(response.cached, &timings);
            Ok(response)
        }
        Err(error) => {
            tracing::debug!(kind = error.kind(), %error, "question failed");
            inner.stats.failure(error.kind(), &timings);
            Err(error)
        }
    }
}

async fn answer(
    inner: &Arc<Inner>,
    question: &str,
    options: &QueryOptions,
    sink: Sink<'_>,
    timings: &mut Timings,
) -> Result<QueryResponse> {
    DatabaseQueryAgent::ensure_open(inner)?;
    let config = &inner.config;
    let q = question.trim();
    if q.is_empty() {
        return Err(Error::EmptyQuestion);
    }
    let length = q.chars().count();
    if length > config.safety.max_question_length {
        return Err(Error::QuestionTooLong {
            length,
            max: config.safety.max_question_length,
        });
    }
    let mut response = QueryResponse {
        question: question.to_string(),
        session_id: options.session_id.clone(),
        ..QueryResponse::default()
    };

    if let Some(casual) = detect_casual(q) {
        let reply = casual.reply().to_string();
        remember(inner, options, q, &reply, None, &mut response).await;
        response.natural_response = Some(reply);
        return Ok(response);
    }

    if config.safety.prompt_injection != InjectionPolicy::Off {
        let signals = detect_injection(q);
        if !signals.is_empty() {
            let reason = signals
                .iter()
                .map(|s| s.kind.describe())
                .collect::<Vec<_>>()
                .join(" and ");
            if config.safety.prompt_injection == InjectionPolicy::Refuse {
                return Err(Error::PromptInjection { reason });
            }
            response.warnings.push(format!(
                "this question looks like prompt injection: it {reason}"
            ));
        }
    }

    let history = match &options.session_id {
        Some(id) => {
            let mut all = inner.sessions.load(id).await?;
            let skip = all.len().saturating_sub(HISTORY_MESSAGES);
            all.drain(..skip);
            all
        }
        None => Vec::new(),
    };

    let loaded = load_schema(inner, timings).await?;
    let (_, model) = dbqa_llm::choose_model(&config.model, q);
    let mode = if !options.natural_response {
        AnswerMode::None
    } else {
        options.answer_mode.unwrap_or(config.answer_mode)
    };
    let llm_key = keys::llm_key(
        q,
        &loaded.fingerprint,
        &keys::session_fingerprint(&history),
        &model,
    );

    if options.use_cache
        && let Some(hit) = inner.caches.llm().get::<CachedAnswer>(&llm_key).await
        && let Some(done) =
            answer_from_cache(inner, q, options, mode, hit, sink, timings, &mut response).await?
    {
        return Ok(done);
    }

    status(sink, "writing SQL");
    let mut selection_text = q.to_string();
    for earlier in history
        .iter()
        .rev()
        .filter(|m| m.role == dbqa_core::Role::User)
        .take(2)
    {
        selection_text.push(' ');
        selection_text.push_str(&earlier.content);
    }
    let described: Vec<String> = if config.lazy_schema_loading {
        select_tables(
            &loaded.schema,
            &selection_text,
            config.max_tables_in_context,
        )
        .tables
        .into_iter()
        .map(|t| t.name)
        .collect()
    } else {
        loaded
            .schema
            .tables
            .iter()
            .map(|t| t.name.clone())
            .collect()
    };
    let sample_started = Instant::now();
    let samples = samples_for(inner, &loaded, &described).await;
    timings.schema_ms += ms(sample_started);
    let names: Vec<&str> = described.iter().map(String::as_str).collect();
    let rendered = render_schema(&loaded.schema, &names, Some(&samples));
    // A fenced SQL block (text mode) has nowhere to put a template: the answer is written.
    let templates = mode == AnswerMode::Template && config.model.tool_mode != ToolMode::Text;
    let ctx = PromptContext {
        dialect: loaded.schema.dialect,
        max_rows: config.safety.max_result_rows,
        schema: &rendered,
        templates,
    };
    let mut messages = history;
    messages.push(Message::user(q));
    let mut request = ChatRequest::new(&model, messages);
    request.system = Some(prompt::system_prompt(&ctx));
    request.tools = prompt::tools(templates);
    request.temperature = Some(config.model.temperature);
    request.max_tokens = Some(config.model.max_tokens);

    let outcome = tool_loop(
        inner,
        &mut request,
        &loaded,
        options,
        sink,
        timings,
        &mut response,
    )
    .await?;
    let (sql, template, rows, from_query_cache) = match outcome {
        LoopOutcome::Reply(text) => {
            if options.use_cache {
                let cached = CachedAnswer {
                    sql: None,
                    template: None,
                    answer: Some(text.clone()),
                    rows_fingerprint: None,
                    model: response.model.clone().unwrap_or_else(|| model.clone()),
                };
                inner.caches.llm().set(&llm_key, &cached).await;
            }
            remember(inner, options, q, &text, None, &mut response).await;
            response.natural_response = Some(text);
            return Ok(response);
        }
        LoopOutcome::Rows {
            sql,
            template,
            rows,
            from_query_cache,
        } => (sql, template, rows, from_query_cache),
    };
    if from_query_cache {
        response.cached = CacheLevel::Query;
    }
    fill_rows(&mut response, options, &sql, &rows, sink);
    let (natural, written) = natural_answer(
        inner,
        q,
        &model,
        &sql,
        template.as_deref(),
        &rows,
        mode,
        sink,
        timings,
        &mut response,
    )
    .await?;
    if options.use_cache {
        let cached = CachedAnswer {
            sql: Some(sql.clone()),
            template,
            answer: written.then(|| natural.clone()).flatten(),
            rows_fingerprint: Some(keys::fingerprint(&rows)),
            model: response.model.clone().unwrap_or(model),
        };
        inner.caches.llm().set(&llm_key, &cached).await;
    }
    remember(
        inner,
        options,
        q,
        natural.as_deref().unwrap_or(""),
        Some(&sql),
        &mut response,
    )
    .await;
    response.natural_response = natural;
    Ok(response)
}

/// Serves a question from the LLM-response cache: no LLM call. Returns `None` when the
/// cached SQL no longer passes the guard (then the question is worked out afresh).
#[allow(clippy::too_many_arguments)]
async fn answer_from_cache(
    inner: &Arc<Inner>,
    q: &str,
    options: &QueryOptions,
    mode: AnswerMode,
    hit: CachedAnswer,
    sink: Sink<'_>,
    timings: &mut Timings,
    response: &mut QueryResponse,
) -> Result<Option<QueryResponse>> {
    let Some(sql) = hit.sql else {
        let mut done = response.clone();
        done.cached = CacheLevel::Llm;
        done.model = Some(hit.model);
        let reply = hit.answer.unwrap_or_default();
        remember(inner, options, q, &reply, None, &mut done).await;
        done.natural_response = Some(reply);
        return Ok(Some(done));
    };
    let guard_started = Instant::now();
    let checked = inner.guard.check(&sql);
    timings.guard_ms += ms(guard_started);
    let Ok(accepted) = checked else {
        return Ok(None);
    };
    let (rows, _) = execute_cached(inner, &accepted.sql, options.use_cache, timings)
        .await
        .map_err(Error::from)?;
    let mut done = response.clone();
    done.cached = CacheLevel::Llm;
    done.model = Some(hit.model.clone());
    // A hit yields the whole answer at once: no Sql/Rows events.
    fill_rows(&mut done, options, &accepted.sql, &rows, None);
    let same_rows = hit.rows_fingerprint.as_deref() == Some(keys::fingerprint(&rows).as_str());
    let natural = match (mode, hit.answer) {
        (AnswerMode::None, _) => None,
        (_, Some(answer)) if same_rows && hit.template.is_none() => Some(answer),
        (_, answer) => {
            let from_template = hit
                .template
                .as_deref()
                .filter(|_| mode == AnswerMode::Template)
                .and_then(|t| fill_template(t, &rows).ok());
            match (from_template, answer) {
                (Some(text), _) => Some(text),
                (None, Some(answer)) if same_rows => Some(answer),
                _ => {
                    let model = hit.model.clone();
                    write_answer(
                        inner,
                        q,
                        &model,
                        &accepted.sql,
                        &rows,
                        sink,
                        timings,
                        &mut done,
                    )
                    .await?
                }
            }
        }
    };
    remember(
        inner,
        options,
        q,
        natural.as_deref().unwrap_or(""),
        Some(&accepted.sql),
        &mut done,
    )
    .await;
    done.natural_response = natural;
    Ok(Some(done))
}

fn fill_rows(
    response: &mut QueryResponse,
    options: &QueryOptions,
    sql: &str,
    rows: &Rows,
    sink: Sink<'_>,
) {
    let columns: Vec<String> = rows.columns.iter().map(|c| c.name.clone()).collect();
    response.row_count = rows.len();
    response.truncated = rows.truncated;
    response.columns = columns.clone();
    if options.return_rows {
        response.rows = rows.rows.clone();
    }
    if options.return_sql {
        response.sql = Some(sql.to_string());
    }
    emit(
        sink,
        AgentEvent::Rows {
            columns,
            rows: response.rows.clone(),
            row_count: rows.len(),
            truncated: rows.truncated,
        },
    );
}

enum LoopOutcome {
    Reply(String),
    Rows {
        sql: String,
        template: Option<String>,
        rows: Rows,
        from_query_cache: bool,
    },
}

/// Why the last SQL attempt failed, fed back to the model.
enum Failure {
    Validation(String),
    Execution(String),
    Timeout(DatabaseError),
}

/// Model turns until SQL runs (or a plain reply), feeding guard and database errors back
/// as tool results, at most `max_retries + 1` SQL attempts.
async fn tool_loop(
    inner: &Arc<Inner>,
    request: &mut ChatRequest,
    loaded: &LoadedSchema,
    options: &QueryOptions,
    sink: Sink<'_>,
    timings: &mut Timings,
    response: &mut QueryResponse,
) -> Result<LoopOutcome> {
    let config = &inner.config;
    let max_attempts = config.max_retries + 1;
    let mut attempts = 0u32;
    let mut turns = 0u32;
    let mut last: Option<Failure> = None;
    let give_up = |attempts: u32, last: Option<Failure>| match last {
        Some(Failure::Validation(message)) => Error::ValidationFailed { attempts, message },
        Some(Failure::Execution(message)) => Error::ExecutionFailed { attempts, message },
        Some(Failure::Timeout(e)) => Error::Timeout(e),
        None => Error::NoAnswer,
    };
    loop {
        if turns >= max_attempts + EXTRA_TURNS {
            return Err(give_up(attempts, last));
        }
        turns += 1;
        let llm_started = Instant::now();
        // The conversation is kept native; each call shapes a copy for the tool mode.
        let mut wire = request.clone();
        prepare_request(&mut wire, config.model.tool_mode);
        let reply = inner.llm.chat(&wire).await;
        timings.llm_ms += ms(llm_started);
        let reply = reply?;
        inner.stats.llm_call(reply.usage);
        response.usage.add(reply.usage);
        response.llm_calls += 1;
        if response.model.is_none() {
            response.model = Some(if reply.model.is_empty() {
                request.model.clone()
            } else {
                reply.model.clone()
            });
        }
        let turn = interpret_response(&reply, config.model.tool_mode);
        if turn.tool_calls.is_empty() {
            return match turn.text {
                Some(text) => Ok(LoopOutcome::Reply(text)),
                None => Err(give_up(attempts, last)),
            };
        }
        request.messages.push(Message::assistant_tool_calls(
            reply.content.clone().unwrap_or_default(),
            turn.tool_calls.clone(),
        ));
        let mut outcome = None;
        for call in &turn.tool_calls {
            if outcome.is_some() {
                request.messages.push(Message::tool_result(
                    &call.id,
                    "skipped: an earlier call answered",
                ));
                continue;
            }
            match call.name.as_str() {
                DESCRIBE_TABLES => {
                    let text = describe(inner, loaded, call).await;
                    request.messages.push(Message::tool_result(&call.id, text));
                }
                RUN_SQL => {
                    attempts += 1;
                    match run_sql(inner, loaded, call, options, sink, timings, response).await {
                        Ok(SqlRun::Done {
                            sql,
                            template,
                            rows,
                            from_query_cache,
                        }) => {
                            request.messages.push(Message::tool_result(
                                &call.id,
                                prompt::sql_result_message(&rows),
                            ));
                            outcome = Some(LoopOutcome::Rows {
                                sql,
                                template,
                                rows,
                                from_query_cache,
                            });
                        }
                        Ok(SqlRun::Failed(failure, message)) => {
                            request.messages.push(Message::tool_result(
                                &call.id,
                                prompt::sql_error_message(&message),
                            ));
                            last = Some(failure);
                        }
                        Err(fatal) => return Err(fatal),
                    }
                }
                other => {
                    request.messages.push(Message::tool_result(
                        &call.id,
                        format!(
                            "error: unknown tool `{other}`: use {RUN_SQL} or {DESCRIBE_TABLES}"
                        ),
                    ));
                }
            }
        }
        if let Some(outcome) = outcome {
            return Ok(outcome);
        }
        if attempts >= max_attempts {
            return Err(give_up(attempts, last));
        }
        status(sink, "correcting SQL");
    }
}

enum SqlRun {
    Done {
        sql: String,
        template: Option<String>,
        rows: Rows,
        from_query_cache: bool,
    },
    Failed(Failure, String),
}

async fn run_sql(
    inner: &Arc<Inner>,
    loaded: &LoadedSchema,
    call: &ToolCall,
    options: &QueryOptions,
    sink: Sink<'_>,
    timings: &mut Timings,
    response: &mut QueryResponse,
) -> Result<SqlRun> {
    let args = match call.arguments_json() {
        Ok(args) => args,
        Err(_) => {
            let message =
                String::from("the run_sql arguments are not valid JSON: send {\"sql\": \"…\"}");
            return Ok(SqlRun::Failed(
                Failure::Validation(message.clone()),
                message,
            ));
        }
    };
    let Some(sql) = args
        .get("sql")
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
    else {
        let message = String::from("run_sql needs a non-empty `sql` argument");
        return Ok(SqlRun::Failed(
            Failure::Validation(message.clone()),
            message,
        ));
    };
    let template = args
        .get("answer_template")
        .and_then(|v| v.as_str())
        .filter(|t| !t.trim().is_empty())
        .map(str::to_string);
    let guard_started = Instant::now();
    let checked = inner.guard.check(sql);
    timings.guard_ms += ms(guard_started);
    let accepted = match checked {
        Ok(accepted) => accepted,
        Err(rejection) => {
            let message = rejection.to_string();
            return Ok(SqlRun::Failed(
                Failure::Validation(message.clone()),
                message,
            ));
        }
    };
    emit(
        sink,
        AgentEvent::Sql {
            sql: accepted.sql.clone(),
        },
    );
    status(sink, "running SQL");
    match execute_cached(inner, &accepted.sql, options.use_cache, timings).await {
        Ok((rows, from_query_cache)) => {
            response
                .warnings
                .extend(accepted.warnings.iter().map(|w| w.to_string()));
            Ok(SqlRun::Done {
                sql: accepted.sql,
                template,
                rows,
                from_query_cache,
            })
        }
        Err(e) if e.is_unreachable() => Err(Error::DatabaseUnavailable(e)),
        Err(e @ DatabaseError::Timeout { .. }) => {
            let message = format!("{e}: write a cheaper query");
            Ok(SqlRun::Failed(Failure::Timeout(e), message))
        }
        Err(e) => {
            let error = e.to_string();
            let message =
                match prompt::missing_column_hint(&error, &loaded.schema, &accepted.tables) {
                    Some(hint) => format!("{error}\n{hint}"),
                    None => error.clone(),
                };
            Ok(SqlRun::Failed(Failure::Execution(error), message))
        }
    }
}

/// Runs SQL through the query-result cache.
async fn execute_cached(
    inner: &Arc<Inner>,
    sql: &str,
    use_cache: bool,
    timings: &mut Timings,
) -> std::result::Result<(Rows, bool), DatabaseError> {
    let key = keys::query_key(inner.db.identity(), sql);
    if use_cache && let Some(rows) = inner.caches.query().get::<Rows>(&key).await {
        return Ok((rows, true));
    }
    let safety = &inner.config.safety;
    let options = ExecuteOptions {
        timeout: safety.query_timeout,
        max_rows: safety.max_result_rows,
        read_only: safety.read_only,
    };
    let started = Instant::now();
    let rows = inner.db.execute(sql, &options).await;
    timings.execute_ms += ms(started);
    let rows = rows?;
    if use_cache {
        inner.caches.query().set(&key, &rows).await;
    }
    Ok((rows, false))
}

async fn describe(inner: &Arc<Inner>, loaded: &LoadedSchema, call: &ToolCall) -> String {
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
        .filter_map(|n| loaded.schema.table(n).map(|t| t.name.clone()))
        .collect();
    let samples = samples_for(inner, loaded, &known).await;
    let mut out = String::from("<data>\n");
    for name in &names {
        match loaded.schema.table(name) {
            Some(table) => out.push_str(&render_table(table, Some(&samples))),
            None => out.push_str(&format!("unknown table `{name}`")),
        }
        out.push('\n');
    }
    out.push_str("</data>\n");
    if known.len() < names.len() {
        let all: Vec<&str> = loaded
            .schema
            .tables
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        out.push_str(&format!("Tables that exist: {}\n", all.join(", ")));
    }
    out
}

/// The sample values of `tables`, reading those not read yet.
async fn samples_for(inner: &Arc<Inner>, loaded: &LoadedSchema, tables: &[String]) -> SampleValues {
    let mut samples = loaded.samples.lock().await;
    for name in tables {
        let key = name.to_lowercase();
        if samples.contains_key(&key) {
            continue;
        }
        let values = match loaded.schema.table(name) {
            Some(table) => crate::samples::fetch(inner.db.as_ref(), table).await,
            None => Default::default(),
        };
        samples.insert(key, values);
    }
    tables
        .iter()
        .filter_map(|t| {
            samples
                .get(&t.to_lowercase())
                .map(|v| (t.to_lowercase(), v.clone()))
        })
        .collect()
}

/// The natural-language answer per mode; the flag says whether an LLM wrote it.
#[allow(clippy::too_many_arguments)]
async fn natural_answer(
    inner: &Arc<Inner>,
    q: &str,
    model: &str,
    sql: &str,
    template: Option<&str>,
    rows: &Rows,
    mode: AnswerMode,
    sink: Sink<'_>,
    timings: &mut Timings,
    response: &mut QueryResponse,
) -> Result<(Option<String>, bool)> {
    match mode {
        AnswerMode::None => Ok((None, false)),
        AnswerMode::Template => {
            if let Some(template) = template {
                match fill_template(template, rows) {
                    Ok(text) => return Ok((Some(text), false)),
                    Err(e) => tracing::debug!(%e, "answer template not usable; writing the answer"),
                }
            }
            Ok((
                write_answer(inner, q, model, sql, rows, sink, timings, response).await?,
                true,
            ))
        }
        AnswerMode::Llm => Ok((
            write_answer(inner, q, model, sql, rows, sink, timings, response).await?,
            true,
        )),
    }
}

/// The second LLM call: writes the answer from the rows, streamed when a sink listens.
#[allow(clippy::too_many_arguments)]
async fn write_answer(
    inner: &Arc<Inner>,
    q: &str,
    model: &str,
    sql: &str,
    rows: &Rows,
    sink: Sink<'_>,
    timings: &mut Timings,
    response: &mut QueryResponse,
) -> Result<Option<String>> {
    let mut request = prompt::answer_request(model, q, sql, rows);
    request.temperature = Some(inner.config.model.temperature);
    request.max_tokens = Some(inner.config.model.max_tokens);
    status(sink, "writing the answer");
    let started = Instant::now();
    let (text, usage) = match sink {
        Some(_) => {
            let mut stream = inner.llm.chat_stream(&request).await?;
            let mut text = String::new();
            let mut usage = dbqa_core::Usage::default();
            while let Some(event) = stream.next().await {
                match event? {
                    StreamEvent::TextDelta { text: delta } => {
                        text.push_str(&delta);
                        emit(sink, AgentEvent::Token { text: delta });
                    }
                    StreamEvent::Finished { usage: u, .. } => usage = u,
                    StreamEvent::ToolCall { .. } => {}
                }
            }
            (text, usage)
        }
        None => {
            let reply = inner.llm.chat(&request).await?;
            (reply.content.unwrap_or_default(), reply.usage)
        }
    };
    timings.llm_ms += ms(started);
    inner.stats.llm_call(usage);
    response.usage.add(usage);
    response.llm_calls += 1;
    if response.model.is_none() {
        response.model = Some(model.to_string());
    }
    let text = text.trim().to_string();
    Ok((!text.is_empty()).then_some(text))
}

/// Appends the exchange to the session; a store failure becomes a warning, not a lost answer.
async fn remember(
    inner: &Arc<Inner>,
    options: &QueryOptions,
    q: &str,
    answer: &str,
    sql: Option<&str>,
    response: &mut QueryResponse,
) {
    let Some(id) = &options.session_id else {
        return;
    };
    let assistant = match sql {
        Some(sql) => format!("{answer}\n(SQL: {sql})").trim_start().to_string(),
        None => answer.to_string(),
    };
    for message in [Message::user(q), Message::assistant(assistant)] {
        if let Err(e) = inner.sessions.append(id, &message).await {
            response
                .warnings
                .push(format!("the session history was not saved: {e}"));
            return;
        }
    }
}

/// The schema, loaded once and reloaded after the schema TTL.
pub(crate) async fn load_schema(
    inner: &Arc<Inner>,
    timings: &mut Timings,
) -> Result<Arc<LoadedSchema>> {
    let started = Instant::now();
    let mut slot = inner.schema.lock().await;
    let ttl = inner.config.cache.schema_ttl;
    if let Some(loaded) = slot.as_ref()
        && (ttl.is_zero() || loaded.loaded_at.elapsed() < ttl)
    {
        timings.schema_ms += ms(started);
        return Ok(Arc::clone(loaded));
    }
    let key = keys::schema_key(inner.db.identity());
    let (schema, from_cache) = match inner.caches.schema().get::<Schema>(&key).await {
        Some(schema) => (schema, true),
        None => {
            let schema = inner.db.extract_schema().await?;
            inner.caches.schema().set(&key, &schema).await;
            (schema, false)
        }
    };
    inner.stats.schema_load(from_cache, schema.tables.len());
    let loaded = Arc::new(LoadedSchema {
        fingerprint: schema.fingerprint(),
        schema,
        samples: Mutex::new(SampleValues::new()),
        loaded_at: Instant::now(),
    });
    *slot = Some(Arc::clone(&loaded));
    timings.schema_ms += ms(started);
    Ok(loaded)
}
