//! `dbqa sql`: SQL a person wrote, run as `POST /api/sql` runs it (the agent's guard,
//! limits and read-only transaction; no LLM).

use std::io::{IsTerminal, Read};

use dbqa_agent::{DatabaseQueryAgent, QueryOptions};

use crate::agent::from_agent;
use crate::cli::{Format, SqlArgs};
use crate::commands::ask::print_response;
use crate::database;
use crate::failure::Failure;

pub(crate) async fn run(args: SqlArgs) -> Result<u8, Failure> {
    let sql = match &args.sql {
        Some(sql) => sql.clone(),
        None => read_stdin()?,
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let config = database::resolve_config(&args.db)?;
    let agent = DatabaseQueryAgent::builder()
        .config(config)
        .without_llm()
        .build()
        .await
        .map_err(from_agent)?;
    let mut options = QueryOptions::default();
    options.session_id = args.session.clone();
    let result = agent
        .run_sql(&sql, args.question.as_deref(), options)
        .await
        .map_err(from_agent);
    agent.close().await;
    print_response(&result?, format, true, false)?;
    Ok(0)
}

fn read_stdin() -> Result<String, Failure> {
    let mut sql = String::new();
    std::io::stdin()
        .read_to_string(&mut sql)
        .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
    Ok(sql)
}
