//! A conversation: the follow-up question only makes sense with the first one's context.
//!
//! ```sh
//! cargo run -p dbqa --example chat_session
//! ```
//!
//! Database and LLM as in `ask.rs`. Sessions live in the session store
//! (`SESSION_BACKEND`, SQLite at `./sessions.db` by default), so running the example
//! again continues the same conversation; it clears it at the end.

mod common;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (agent, _demo) = common::agent_from_env().await?;
    let chat = agent.create_session("chat-session-example");

    for question in ["How many orders were placed in 2025?", "And in 2024?"] {
        let answer = chat.ask(question).await?;
        println!("> {question}");
        println!(
            "{}",
            answer.natural_response.as_deref().unwrap_or("(no answer)")
        );
        if let Some(sql) = &answer.sql {
            println!("  sql: {sql}");
        }
    }

    let history = chat.history().await?;
    println!("the session holds {} messages", history.len());
    for session in agent.list_sessions().await? {
        println!("session {session:?}");
    }
    chat.clear().await?;
    agent.close().await;
    Ok(())
}
