//! `dbqa examples add|list|remove`: the database's verified examples, kept in the session
//! store's backend (the same ones the web page's 👍 and `POST /api/examples` confirm).

use dbqa_agent::DatabaseQueryAgent;

use crate::agent::from_agent;
use crate::cli::{ExamplesAction, ExamplesArgs};
use crate::database;
use crate::failure::{EXIT_FAILED, Failure};
use crate::output;

pub(crate) async fn run(args: ExamplesArgs) -> Result<u8, Failure> {
    let config = database::resolve_config(&args.db)?;
    let agent = DatabaseQueryAgent::builder()
        .config(config)
        .without_llm()
        .build()
        .await
        .map_err(from_agent)?;
    let result = act(&agent, &args).await;
    agent.close().await;
    result
}

async fn act(agent: &DatabaseQueryAgent, args: &ExamplesArgs) -> Result<u8, Failure> {
    match &args.action {
        ExamplesAction::Add { question, sql } => {
            let example = agent.add_example(question, sql).await.map_err(from_agent)?;
            if args.json {
                output::print_json(&example)?;
            } else {
                println!("added {}: {}", example.id, example.question);
            }
            Ok(0)
        }
        ExamplesAction::List => {
            let examples = agent.examples().await.map_err(from_agent)?;
            if args.json {
                output::print_json(&examples)?;
            } else if examples.is_empty() {
                println!("no verified examples yet: add one with `dbqa examples add QUESTION SQL`");
            } else {
                for example in &examples {
                    println!("{}  {}\n    {}", example.id, example.question, example.sql);
                }
            }
            Ok(0)
        }
        ExamplesAction::Remove { id } => {
            let removed = agent.remove_example(id).await.map_err(from_agent)?;
            if removed {
                println!("removed {id}");
                Ok(0)
            } else {
                eprintln!("no verified example {id} (EXAMPLES_FILE's are changed in the file)");
                Ok(EXIT_FAILED)
            }
        }
    }
}
