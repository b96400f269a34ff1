//! Stream an answer: status lines, the SQL, the rows, then the answer token by token.
//!
//! ```sh
//! cargo run -p dbqa --example stream -- "Which five products sold best in 2025?"
//! ```
//!
//! Database and LLM as in `ask.rs`. Tokens arrive one by one when the answer is written
//! by a second LLM call (`ANSWER_MODE=llm`, or when the model gave no answer template);
//! a cache hit arrives whole.

use std::io::Write;

use dbqa::AgentEvent;
use futures::StreamExt;

mod common;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let question = common::question_from_args("Which five products sold best in 2025?");
    let (agent, _demo) = common::agent_from_env().await?;

    let mut events = std::pin::pin!(agent.query_stream(&question));
    let mut stdout = std::io::stdout();
    let mut streamed = false;
    while let Some(event) = events.next().await {
        match event? {
            AgentEvent::Status { message } => eprintln!("[{message}]"),
            AgentEvent::Sql { sql } => println!("sql: {sql}"),
            AgentEvent::Rows {
                columns,
                row_count,
                truncated,
                ..
            } => println!(
                "rows: {row_count} ({}){}",
                columns.join(", "),
                if truncated {
                    ", cut at the row limit"
                } else {
                    ""
                }
            ),
            AgentEvent::Token { text } => {
                print!("{text}");
                stdout.flush()?;
                streamed = true;
            }
            AgentEvent::Done { response } => {
                // A templated answer or a cache hit comes whole, with no tokens before it.
                if !streamed {
                    print!("{}", response.natural_response.as_deref().unwrap_or(""));
                }
                println!();
                println!(
                    "done: {} llm call(s), cached {:?}, {:.1} ms",
                    response.llm_calls, response.cached, response.timings.total_ms
                );
            }
            // Later versions may add events; this example ignores them.
            _ => {}
        }
    }
    agent.close().await;
    Ok(())
}
