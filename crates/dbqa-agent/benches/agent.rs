//! The agent's own overhead per question, with an instant in-process LLM on the SQLite demo
//! database (answer in template mode), and the latency of an LLM-cache hit (memory cache).
//!
//! Run with `cargo xtask bench agent` (or `cargo bench -p dbqa-agent --bench agent`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use criterion::{Criterion, criterion_group, criterion_main};
use dbqa_agent::{DatabaseQueryAgent, QueryOptions};
use dbqa_core::{
    AgentConfig, ChatRequest, ChatResponse, ChatStream, Environment, FinishReason, LlmError,
    LlmProvider, ToolCall, Usage,
};

/// Answers every request at once with a `run_sql` call carrying an answer template.
struct InstantLlm;

#[async_trait]
impl LlmProvider for InstantLlm {
    fn name(&self) -> &str {
        "instant"
    }

    async fn chat(&self, _request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        Ok(ChatResponse {
            content: None,
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "run_sql".into(),
                arguments: r#"{"sql": "SELECT COUNT(*) AS n FROM categories", "answer_template": "There are {n} categories."}"#.into(),
            }],
            finish_reason: FinishReason::ToolCalls,
            usage: Usage { prompt_tokens: 500, completion_tokens: 30 },
            model: "instant".into(),
        })
    }

    async fn chat_stream(&self, _request: &ChatRequest) -> Result<ChatStream, LlmError> {
        Err(LlmError::NotConfigured {
            hint: "the bench does not stream".into(),
        })
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    dbqa_schema::demo::create_demo_database(&path).unwrap();
    let env = Environment::from_maps(
        [
            ("CACHE_BACKEND", "memory"),
            ("SESSION_BACKEND", "memory"),
            ("ANSWER_MODE", "template"),
        ],
        Vec::<(&str, &str)>::new(),
    );
    let agent = runtime.block_on(async {
        DatabaseQueryAgent::builder()
            .config(AgentConfig::from_environment(&env).unwrap())
            .database_url(format!("sqlite://{}", path.display()))
            .llm(Arc::new(InstantLlm))
            .warmup_on_init(true)
            .build()
            .await
            .unwrap()
    });
    let question = "How many categories are there?";
    let uncached = QueryOptions::default().use_cache(false);

    // The agent's own share: total minus the time in the database and the (instant) LLM.
    let runs = 2_000;
    let (mut total, mut outside) = (0.0, 0.0);
    runtime.block_on(async {
        for _ in 0..runs {
            let r = agent.query_with(question, uncached.clone()).await.unwrap();
            total += r.timings.total_ms;
            outside += r.timings.execute_ms + r.timings.llm_ms;
        }
    });
    println!(
        "agent overhead per question (template mode, no cache): {:.1} µs of {:.1} µs total ({:.1} µs in SQLite and the instant LLM)",
        (total - outside) / runs as f64 * 1000.0,
        total / runs as f64 * 1000.0,
        outside / runs as f64 * 1000.0,
    );
    runtime.block_on(agent.query(question)).unwrap();
    let started = Instant::now();
    runtime.block_on(async {
        for _ in 0..runs {
            let r = agent.query(question).await.unwrap();
            assert_eq!(r.llm_calls, 0);
        }
    });
    println!(
        "LLM-cache hit (memory): {:.1} µs per question",
        started.elapsed().as_secs_f64() * 1e6 / runs as f64
    );

    let mut group = c.benchmark_group("agent");
    group.bench_function("question_template_uncached", |b| {
        b.iter(|| {
            runtime
                .block_on(agent.query_with(question, uncached.clone()))
                .unwrap()
        })
    });
    group.bench_function("llm_cache_hit_memory", |b| {
        b.iter(|| runtime.block_on(agent.query(question)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
