//! `cargo xtask llm-smoke --base-url URL [--model M] [--api-key KEY]`: asks a real
//! OpenAI-compatible server a question in every tool mode and reports what came back.
//! Fails unless `required` and `json` both produce a SQL `run_sql` call.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use dbqa_core::{ChatRequest, LlmProvider, Message, StreamEvent, ToolMode, ToolSpec};
use dbqa_llm::{OpenAiProvider, ProviderOptions, interpret_response, prepare_request};
use serde_json::json;

const SYSTEM: &str = "You translate questions into SQLite SQL for this database:\n\
    singer(singer_id INTEGER PRIMARY KEY, name TEXT, country TEXT, age INTEGER)\n\
    concert(concert_id INTEGER PRIMARY KEY, concert_name TEXT, year INTEGER, singer_id INTEGER REFERENCES singer)\n\
    Use run_sql to query the database.";

fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "run_sql".into(),
            description: "Run one read-only SQL query against the database.".into(),
            parameters: json!({"type": "object",
                "properties": {"sql": {"type": "string", "description": "One SQLite SELECT query."}},
                "required": ["sql"]}),
        },
        ToolSpec {
            name: "describe_tables".into(),
            description: "Show the full definition of tables.".into(),
            parameters: json!({"type": "object",
                "properties": {"names": {"type": "array", "items": {"type": "string"}}},
                "required": ["names"]}),
        },
    ]
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut base_url = None;
    let mut model = "local".to_string();
    let mut api_key = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .cloned()
                .with_context(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--base-url" => base_url = Some(value()?),
            "--model" => model = value()?,
            "--api-key" => api_key = Some(value()?),
            other => bail!(
                "unknown argument `{other}`; usage: cargo xtask llm-smoke --base-url URL [--model M] [--api-key KEY]"
            ),
        }
    }
    let base_url = base_url.context("--base-url is required, e.g. http://127.0.0.1:8011/v1")?;
    let mut options = ProviderOptions::new(base_url)
        .with_request_timeout(Duration::from_secs(120))
        .with_max_retries(1);
    if let Some(key) = api_key {
        options = options.with_api_key(key);
    }
    let provider = OpenAiProvider::named("openai-compatible", options)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(smoke(&provider, &model))
}

async fn smoke(provider: &OpenAiProvider, model: &str) -> Result<()> {
    let mut failures = Vec::new();
    for mode in [
        ToolMode::Auto,
        ToolMode::Required,
        ToolMode::Json,
        ToolMode::Text,
    ] {
        for question in ["How many singers are there?", "Hi! What can you do?"] {
            let mut request = ChatRequest::new(model, vec![Message::user(question)]);
            request.system = Some(SYSTEM.into());
            request.tools = tools();
            request.temperature = Some(0.0);
            request.max_tokens = Some(200);
            prepare_request(&mut request, mode);
            let started = Instant::now();
            let outcome = provider.chat(&request).await;
            let elapsed = started.elapsed();
            let line = match outcome {
                Ok(response) => {
                    let turn = interpret_response(&response, mode);
                    let sql = turn.sql();
                    let valid = sql.as_deref().is_some_and(|s| {
                        let upper = s.trim_start().to_ascii_uppercase();
                        (upper.starts_with("SELECT") || upper.starts_with("WITH"))
                            && upper.contains("SINGER")
                    });
                    if question.starts_with("How many")
                        && matches!(mode, ToolMode::Required | ToolMode::Json)
                        && !valid
                    {
                        failures.push(format!("{mode}: no valid SQL tool call"));
                    }
                    format!(
                        "native calls {:?}, sql {:?}, text {:?}, usage {}+{}",
                        response
                            .tool_calls
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>(),
                        sql,
                        turn.text,
                        response.usage.prompt_tokens,
                        response.usage.completion_tokens
                    )
                }
                Err(error) => {
                    if question.starts_with("How many")
                        && matches!(mode, ToolMode::Required | ToolMode::Json)
                    {
                        failures.push(format!("{mode}: {error}"));
                    }
                    format!("error: {error}")
                }
            };
            println!(
                "[{mode:>8}] {question:<30} {:>6} ms  {line}",
                elapsed.as_millis()
            );
        }
    }
    // Streaming in auto mode without tools: text deltas and usage.
    let mut request = ChatRequest::new(model, vec![Message::user("Say hello in five words.")]);
    request.max_tokens = Some(30);
    match provider.chat_stream(&request).await {
        Ok(mut stream) => {
            use futures::StreamExt;
            let (mut deltas, mut finished) = (0, None);
            let mut error = None;
            while let Some(item) = stream.next().await {
                match item {
                    Ok(StreamEvent::TextDelta { .. }) => deltas += 1,
                    Ok(StreamEvent::Finished { usage, .. }) => finished = Some(usage),
                    Ok(_) => {}
                    Err(e) => error = Some(e),
                }
            }
            println!(
                "[  stream] {deltas} text deltas, finished with usage {finished:?}, error {error:?}"
            );
        }
        Err(error) => println!("[  stream] error: {error}"),
    }
    println!("HTTP attempts: {}", provider.attempts());
    if failures.is_empty() {
        println!("llm-smoke: ok (required and json modes produced SQL tool calls)");
        Ok(())
    } else {
        bail!("llm-smoke failed: {}", failures.join("; "))
    }
}
