//! Answer one question and print everything the response carries.
//!
//! ```sh
//! cargo run -p dbqa --example ask -- "How many customers are in France?"
//! ```
//!
//! The database is `DATABASE_URL`, or the demo shop database in a temporary directory
//! when that is unset. The LLM comes from the environment: `OPENAI_API_KEY`,
//! `ANTHROPIC_API_KEY`, `LLM_PROVIDER=ollama`, or `LLM_BASE_URL` for any
//! OpenAI-compatible server (see docs/CONFIGURATION.md).

mod common;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let question = common::question_from_args("How many customers are in France?");
    let (agent, _demo) = common::agent_from_env().await?;

    let answer = agent.query(&question).await?;

    println!("question: {}", answer.question);
    if let Some(sql) = &answer.sql {
        println!("sql:      {sql}");
    }
    println!("columns:  {}", answer.columns.join(", "));
    for row in answer.rows.iter().take(10) {
        let cells: Vec<String> = row.iter().map(|v| v.to_display_string()).collect();
        println!("          {}", cells.join(" | "));
    }
    if answer.truncated {
        println!("          (cut at the row limit)");
    }
    println!(
        "answer:   {}",
        answer.natural_response.as_deref().unwrap_or("(none)")
    );
    println!(
        "cached:   {:?}, llm calls: {}, tokens: {}, total {:.1} ms",
        answer.cached,
        answer.llm_calls,
        answer.usage.total(),
        answer.timings.total_ms
    );
    for warning in &answer.warnings {
        println!("warning:  {warning}");
    }
    agent.close().await;
    Ok(())
}
