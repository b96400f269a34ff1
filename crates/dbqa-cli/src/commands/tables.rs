//! `dbqa tables`: what the prompt would show the model of the schema for a question (the
//! whole schema when it fits the budget, else the relevant tables), with the value hints
//! and glossary terms that steered it.

use dbqa_agent::context::{ContextSettings, schema_context};
use dbqa_agent::glossary::Glossary;
use dbqa_agent::prompt::{PromptContext, PromptOptions, system_prompt, today};
use dbqa_agent::render::SchemaFormat;
use dbqa_agent::selection::{SchemaTerms, ScoredTable};
use dbqa_agent::values::ValueIndex;
use dbqa_guard::{Guard, GuardConfig};
use serde::Serialize;

use crate::cli::TablesArgs;
use crate::database;
use crate::failure::{self, Failure};
use crate::output;

#[derive(Serialize)]
struct Report<'a> {
    question: &'a str,
    tables: Vec<ScoredTable>,
    total_tables: usize,
    whole_schema: bool,
    value_hints: &'a [String],
    glossary: &'a [String],
    prompt_tokens: usize,
    full_schema_prompt_tokens: usize,
}

pub(crate) async fn run(args: TablesArgs) -> Result<u8, Failure> {
    let mut config = database::resolve_config(&args.db)?;
    if let Some(max) = args.max_tables {
        if max == 0 {
            return Err(Failure::usage("--max-tables must be at least 1"));
        }
        config.max_tables_in_context = max;
    }
    let glossary = match &config.schema_glossary {
        Some(path) => Glossary::load(path).map_err(Failure::usage)?,
        None => Glossary::default(),
    };
    let db = database::connect(&config).await?;
    let full = db.extract_schema().await.map_err(failure::from_database);
    let guard = Guard::new(GuardConfig::for_database(db.as_ref(), &config.safety));
    let (schema, guard) = guard.visible(&full?);
    let values = if config.safety.send_rows_to_llm {
        ValueIndex::load(db.as_ref(), &guard, &schema).await
    } else {
        ValueIndex::default()
    };
    db.close().await;
    let samples = values.samples();
    let settings = ContextSettings {
        values: &values,
        samples: Some(&samples),
        glossary: &glossary,
        format: SchemaFormat::Compact,
        budget: config.schema_token_budget,
        max_tables: config.max_tables_in_context,
        lazy: config.lazy_schema_loading,
    };
    let terms = SchemaTerms::new(&schema);
    let context = schema_context(&schema, &terms, &settings, &args.question, &args.question);
    let whole = schema_context(
        &schema,
        &terms,
        &ContextSettings {
            lazy: false,
            ..settings
        },
        &args.question,
        &args.question,
    );
    let options = PromptOptions::default();
    let today = today();
    let prompt = |text: &str| {
        system_prompt(&PromptContext {
            dialect: schema.dialect,
            schema: text,
            templates: true,
            hints: &context.hints,
            glossary: &context.glossary,
            examples: &[],
            options: &options,
            today: Some(&today),
        })
    };
    let bpe = tiktoken_rs::o200k_base()
        .map_err(|e| Failure::failed(format!("cannot load the tokenizer: {e}")))?;
    let count = |text: &str| bpe.encode_ordinary(text).len();
    let tables = match &context.selection {
        Some(selection) => selection
            .tables
            .iter()
            .filter(|t| context.described.contains(&t.name))
            .cloned()
            .collect(),
        None => context
            .described
            .iter()
            .map(|name| ScoredTable {
                name: name.clone(),
                score: 0.0,
                reason: String::from("the whole schema fits the budget"),
            })
            .collect(),
    };
    let report = Report {
        question: &args.question,
        tables,
        total_tables: schema.tables.len(),
        whole_schema: context.whole_schema,
        value_hints: &context.hints,
        glossary: &context.glossary,
        prompt_tokens: count(&prompt(&context.text)),
        full_schema_prompt_tokens: count(&prompt(&whole.text)),
    };
    if args.json {
        output::print_json(&report)?;
        return Ok(0);
    }
    print_report(&report);
    Ok(0)
}

fn print_report(report: &Report<'_>) {
    println!(
        "{} of {} tables in context{}:",
        report.tables.len(),
        report.total_tables,
        if report.whole_schema {
            " (the whole schema fits the budget)"
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
    for table in &report.tables {
        println!(
            "  {:width$}  {:>6.2}  {}",
            table.name, table.score, table.reason
        );
    }
    for hint in report.value_hints {
        println!("value: {hint}");
    }
    for entry in report.glossary {
        println!("glossary: {entry}");
    }
    println!(
        "prompt: {} tokens (whole schema: {} tokens; o200k tokenizer)",
        report.prompt_tokens, report.full_schema_prompt_tokens
    );
}
