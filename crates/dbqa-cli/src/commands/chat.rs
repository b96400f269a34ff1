//! `dbqa chat`: an interactive session; follow-up questions keep their context.

use std::io::IsTerminal;

use dbqa_agent::{ChatSession, DatabaseQueryAgent, QueryResponse};
use dbqa_core::Role;
use rustyline::error::ReadlineError;

use crate::agent::{self, from_agent};
use crate::cli::{ChatArgs, Format};
use crate::commands::ask;
use crate::failure::Failure;
use crate::output;

const HELP: &str = "Ask a question in plain language, or use a command:
  \\sql             the SQL of the last answer
  \\rows            the rows of the last answer
  \\schema [table]  the schema (or one table)
  \\tables          the table names
  \\stats           statistics of this process
  \\history         this session's messages
  \\clear           forget this session's history
  \\help            this help
  \\quit            leave (Ctrl-D too); Ctrl-C cancels a running question";

pub(crate) async fn run(args: ChatArgs) -> Result<u8, Failure> {
    let config = agent::resolve_config(&args.agent)?;
    let agent = agent::build(config).await?;
    let id = args.session.clone().unwrap_or_else(new_session_id);
    let session = agent.create_session(id.clone());
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| Failure::usage(format!("cannot start line editing: {e}")))?;
    let history_path = dirs::data_dir().map(|d| d.join("dbqa").join("chat-history.txt"));
    if let Some(path) = &history_path {
        let _ = editor.load_history(path);
    }
    println!("dbqa chat — session {id}. Type \\help for commands, \\quit to leave.");
    let mut last: Option<QueryResponse> = None;
    let mut ran_sql = false;
    loop {
        let line = tokio::task::block_in_place(|| editor.readline("dbqa> "));
        let line = match line {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::failed(format!("cannot read input: {e}"))),
        };
        let input = line.trim();
        if input.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(input);
        if let Some(command) = input.strip_prefix('\\') {
            match run_command(command, &agent, &session, last.as_ref()).await {
                Ok(true) => continue,
                Ok(false) => break,
                Err(failure) => {
                    eprintln!("error: {}", failure.message());
                    continue;
                }
            }
        }
        tokio::select! {
            result = ask::ask_session_streaming(&session, input) => match result {
                Ok((response, printed)) => {
                    // Errors here are the terminal's; nothing to recover.
                    let _ = ask::print_response(&response, Format::Table, false, printed);
                    ran_sql |= response.sql.is_some();
                    last = Some(response);
                }
                Err(failure) => eprintln!("error: {}", failure.message()),
            },
            _ = tokio::signal::ctrl_c() => eprintln!("cancelled"),
        }
    }
    if let Some(path) = &history_path {
        let _ = editor.save_history(path);
    }
    agent::remember_tool_mode(&agent, ran_sql);
    agent.close().await;
    Ok(0)
}

/// Runs a backslash command; `Ok(false)` means leave.
async fn run_command(
    command: &str,
    agent: &DatabaseQueryAgent,
    session: &ChatSession,
    last: Option<&QueryResponse>,
) -> Result<bool, Failure> {
    let (name, argument) = command.split_once(' ').unwrap_or((command, ""));
    match name {
        "quit" | "q" | "exit" => return Ok(false),
        "help" | "h" | "?" => println!("{HELP}"),
        "sql" => match last.and_then(|r| r.sql.as_deref()) {
            Some(sql) => anstream::println!("{}", output::highlight_sql(sql)),
            None => println!("no SQL yet"),
        },
        "rows" => match last {
            Some(r) if !r.columns.is_empty() => {
                print!("{}", output::rows_table(&r.columns, &r.rows, r.truncated));
            }
            _ => println!("no rows yet"),
        },
        "schema" => {
            let schema = agent.schema().await.map_err(from_agent)?;
            let argument = argument.trim();
            if argument.is_empty() {
                print!("{}", output::schema_text(&schema));
            } else {
                match schema.table(argument) {
                    Some(table) => print!(
                        "{}",
                        output::schema_text(&dbqa_core::Schema {
                            dialect: schema.dialect,
                            tables: vec![table.clone()],
                        })
                    ),
                    None => println!("no table `{argument}`"),
                }
            }
        }
        "tables" => {
            let schema = agent.schema().await.map_err(from_agent)?;
            for table in &schema.tables {
                println!("{}", table.qualified_name());
            }
        }
        "stats" => output::print_json(&agent.stats().await)?,
        "history" => {
            for message in session.history().await.map_err(from_agent)? {
                let who = match message.role {
                    Role::User => "you",
                    Role::Assistant => "dbqa",
                    Role::System => "system",
                    Role::Tool => "tool",
                };
                println!("{who}: {}", message.content);
            }
        }
        "clear" => {
            session.clear().await.map_err(from_agent)?;
            println!("history cleared");
        }
        other => println!("unknown command \\{other}; \\help lists them"),
    }
    Ok(true)
}

fn new_session_id() -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let who = if std::io::stdin().is_terminal() {
        "chat"
    } else {
        "pipe"
    };
    format!("{who}-{millis}")
}
