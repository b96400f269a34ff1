//! `dbqa tables`: what the relevant-table selection would put in the prompt.

use dbqa_agent::prompt::{PromptContext, system_prompt};
use dbqa_agent::render::render_schema;
use dbqa_agent::selection::select_tables;
use serde::Serialize;

use crate::cli::TablesArgs;
use crate::database;
use crate::failure::Failure;
use crate::output;

#[derive(Serialize)]
struct Report<'a> {
    question: &'a str,
    tables: &'a [dbqa_agent::selection::ScoredTable],
    total_tables: usize,
    whole_schema: bool,
    prompt_tokens: usize,
    full_schema_prompt_tokens: usize,
}

pub(crate) async fn run(args: TablesArgs) -> Result<u8, Failure> {
    let config = database::resolve_config(&args.db)?;
    let max_tables = args.max_tables.unwrap_or(config.max_tables_in_context);
    if max_tables == 0 {
        return Err(Failure::usage("--max-tables must be at least 1"));
    }
    let schema = database::visible_schema(&config).await?;

    let selection = select_tables(&schema, &args.question, max_tables);
    let prompt = |described: &[&str]| {
        let rendered = render_schema(&schema, described, None);
        system_prompt(&PromptContext {
            dialect: schema.dialect,
            max_rows: config.safety.max_result_rows,
            schema: &rendered,
            templates: true,
        })
    };
    let all: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
    let bpe = tiktoken_rs::o200k_base()
        .map_err(|e| Failure::failed(format!("cannot load the tokenizer: {e}")))?;
    let count = |text: &str| bpe.encode_ordinary(text).len();
    let report = Report {
        question: &args.question,
        tables: &selection.tables,
        total_tables: selection.total_tables,
        whole_schema: selection.whole_schema,
        prompt_tokens: count(&prompt(&selection.names())),
        full_schema_prompt_tokens: count(&prompt(&all)),
    };
    if args.json {
        output::print_json(&report)?;
        return Ok(0);
    }
    println!(
        "{} of {} tables in context{}:",
        report.tables.len(),
        report.total_tables,
        if report.whole_schema {
            " (small schema: all of it)"
        } else {
            ""
        }
    );
    let width = report
        .tables
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    for table in report.tables {
        println!(
            "  {:width$}  {:>6.2}  {}",
            table.name, table.score, table.reason
        );
    }
    println!(
        "prompt: {} tokens (whole schema: {} tokens; o200k tokenizer)",
        report.prompt_tokens, report.full_schema_prompt_tokens
    );
    Ok(0)
}
