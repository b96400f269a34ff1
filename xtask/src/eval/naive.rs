//! The naive baseline `eval answers --config baseline` measures dbqa against: what a
//! plain text-to-SQL script does with the same model. The whole schema as the database's
//! own `CREATE TABLE` statements, a plain prompt, one LLM call, the SQL read from the
//! reply and scored as written. None of dbqa's relevant-table selection, sample values,
//! prompt rules, tools, guard or corrections.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use dbqa_core::{ChatRequest, LlmProvider, Message, ToolMode};
use dbqa_llm::{OpenAiProvider, ProviderOptions, interpret_response};

use super::answers::{Outcome, QuestionResult, Setup, score_sql};
use super::{Example, db_file};

/// The system prompt's first words, so tests can tell the baseline's requests apart.
pub(crate) const PROMPT_START: &str = "You are a SQLite expert.";

/// The plain prompt for a database whose `CREATE TABLE` statements are `schema`.
fn system_prompt(schema: &str) -> String {
    format!(
        "{PROMPT_START} Given a question, write one syntactically correct SQLite query that \
         answers it, using only the tables below. Reply with the query in a ```sql block.\n\n\
         {schema}"
    )
}

/// The database's own `CREATE TABLE` statements, as a plain script would show them.
fn create_statements(path: &Path) -> Result<String> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", path.display()))?;
    let mut statement = conn.prepare(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND sql IS NOT NULL ORDER BY rowid",
    )?;
    let creates = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(creates.join(";\n\n") + ";")
}

/// Runs every question of `examples` through the naive pipeline, calling `done` after each.
#[cfg(test)]
pub(crate) async fn evaluate(
    data: &Path,
    examples: &[(usize, Example)],
    setup: &Setup,
    mut done: impl FnMut(&[QuestionResult]),
) -> Result<Vec<QuestionResult>> {
    let mut runner = NaiveRunner::new(data, setup)?;
    let mut results = Vec::with_capacity(examples.len());
    for (index, example) in examples {
        results.push(runner.ask(*index, example).await?);
        done(&results);
    }
    Ok(results)
}

/// The naive script, with each database's `CREATE TABLE` text read once.
pub(crate) struct NaiveRunner<'a> {
    data: &'a Path,
    model: String,
    provider: OpenAiProvider,
    schemas: BTreeMap<String, String>,
}

impl<'a> NaiveRunner<'a> {
    pub(crate) fn new(data: &'a Path, setup: &Setup) -> Result<Self> {
        let options = ProviderOptions::new(setup.base_url.clone())
            .with_request_timeout(Duration::from_secs(u64::from(setup.llm_timeout_s)))
            .with_max_retries(1);
        Ok(Self {
            data,
            model: setup.model.clone(),
            provider: OpenAiProvider::named("openai-compatible", options)?,
            schemas: BTreeMap::new(),
        })
    }

    /// One question.
    pub(crate) async fn ask(&mut self, index: usize, example: &Example) -> Result<QuestionResult> {
        let path = db_file(self.data, &example.db_id);
        let schema = match self.schemas.entry(example.db_id.clone()) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(new) => new.insert(create_statements(&path)?),
        };
        Ok(ask(&self.provider, &self.model, schema, &path, index, example).await)
    }
}

async fn ask(
    provider: &OpenAiProvider,
    model: &str,
    schema: &str,
    path: &Path,
    index: usize,
    example: &Example,
) -> QuestionResult {
    let mut request = ChatRequest::new(model, vec![Message::user(example.question.clone())]);
    request.system = Some(system_prompt(schema));
    request.temperature = Some(0.0);
    request.max_tokens = Some(1024);
    let started = Instant::now();
    let reply = provider.chat(&request).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut result = QuestionResult {
        answer_mode: "none",
        llm_calls: 1,
        latency_ms,
        llm_ms: latency_ms,
        ..QuestionResult::new(index, example)
    };
    let response = match reply {
        Ok(response) => response,
        Err(e) => {
            result.outcome = Outcome::LlmError;
            result.error = Some(e.to_string());
            return result;
        }
    };
    result.prompt_tokens = response.usage.prompt_tokens;
    result.completion_tokens = response.usage.completion_tokens;
    // The same fenced-block reading dbqa's `text` tool mode does: only parsing.
    let sql = interpret_response(&response, ToolMode::Text).sql();
    let Some(sql) = sql else {
        result.outcome = Outcome::NoSql;
        result.error = response.content.map(|text| format!("reply: {text}"));
        return result;
    };
    let (outcome, error) = score_sql(path, &example.query, &sql);
    result.sql = Some(sql);
    result.outcome = outcome;
    result.error = error;
    result
}
