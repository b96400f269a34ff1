//! `cargo xtask eval linking [--set S] [--union] [--max-tables N] [--budget T] [--no-values]`:
//! the schema part of the prompt as the agent builds it ([`schema_context`]: the whole
//! schema when it fits the budget, else the relevant tables, steered by value hints) on
//! every question, against the tables its gold SQL reads ([`dbqa_guard::referenced_tables`]).
//!
//! Reported: recall (share of questions whose every gold table is described), per database
//! and overall; tables described; prompt tokens (o200k) against the whole-schema prompt.
//! `--union` evaluates every question against one schema holding all databases' tables,
//! named `<db_id>__<table>`: a database far over the budget.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use dbqa_agent::context::{ContextSettings, schema_context};
use dbqa_agent::glossary::Glossary;
use dbqa_agent::prompt::{PromptContext, PromptOptions, system_prompt};
use dbqa_agent::render::SchemaFormat;
use dbqa_agent::selection::SchemaTerms;
use dbqa_agent::values::{TableRename, ValueIndex};
use dbqa_core::{AgentConfig, Dialect, Schema};
use dbqa_guard::{Guard, GuardConfig};
use serde::Serialize;

use super::sets::QuestionSet;
use super::tokens::Counter;
use super::{Example, db_url, default_data, out_dir};

/// Separator between a database id and a table name in the union schema.
const UNION_SEP: &str = "__";

struct Args {
    data: PathBuf,
    set: QuestionSet,
    union: bool,
    max_tables: usize,
    budget: usize,
    values: bool,
}

fn parse(args: &[String]) -> Result<Args> {
    let defaults = AgentConfig::defaults();
    let mut out = Args {
        data: default_data(),
        set: QuestionSet::Dev,
        union: false,
        max_tables: defaults.max_tables_in_context,
        budget: defaults.schema_token_budget,
        values: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--data" => out.data = PathBuf::from(super::value(&mut it, arg)?),
            "--set" => out.set = super::value(&mut it, arg)?.parse()?,
            "--union" => out.union = true,
            "--max-tables" => out.max_tables = super::number(&mut it, arg)?.max(1),
            "--budget" => out.budget = super::number(&mut it, arg)?,
            "--no-values" => out.values = false,
            other => return Err(super::usage_error(other)),
        }
    }
    Ok(out)
}

/// One question's outcome.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct QuestionResult {
    index: usize,
    db_id: String,
    question: String,
    /// Tables the gold SQL reads (as named in the evaluated schema).
    gold: Vec<String>,
    /// Tables described in the prompt.
    described: Vec<String>,
    /// Gold tables not described.
    missing: Vec<String>,
    /// Value hints the question got.
    hints: Vec<String>,
    prompt_tokens: usize,
    full_prompt_tokens: usize,
    schema_tables: usize,
}

/// Figures over a group of questions.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Summary {
    questions: usize,
    /// Share with every gold table described.
    recall: f64,
    schema_tables: f64,
    mean_tables: f64,
    max_tables: usize,
    mean_prompt_tokens: f64,
    mean_full_prompt_tokens: f64,
    token_ratio: f64,
    /// Share of questions with at least one value hint.
    with_hints: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    set: &'static str,
    mode: &'static str,
    max_tables_in_context: usize,
    budget: usize,
    values: bool,
    tokenizer: &'static str,
    overall: Summary,
    per_database: BTreeMap<String, Summary>,
    skipped: Vec<String>,
    /// The value hints of each question that got any, by set index: what the prompt
    /// claims the question mentions, to read for precision.
    hinted: BTreeMap<usize, Vec<String>>,
    misses: Vec<QuestionResult>,
}

/// A database's schema and value index.
struct Loaded {
    schema: Schema,
    values: ValueIndex,
}

/// Runs the linking evaluation.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let args = parse(args)?;
    let examples = super::sets::load(args.set, &args.data)?;
    let rt = tokio::runtime::Runtime::new()?;
    let loaded = rt.block_on(load_all(&args, &examples))?;
    let counter = Counter::new()?;
    let union = args.union.then(|| union_of(&loaded));
    let terms: BTreeMap<&str, SchemaTerms> = loaded
        .iter()
        .map(|(id, l)| (id.as_str(), SchemaTerms::new(&l.schema)))
        .collect();
    let union_terms = union.as_ref().map(|u| SchemaTerms::new(&u.schema));
    let glossary = Glossary::default();
    let mut results = Vec::new();
    let mut skipped = Vec::new();
    for (index, example) in &examples {
        let Some(own) = loaded.get(&example.db_id) else {
            skipped.push(format!("#{index}: no schema for {}", example.db_id));
            continue;
        };
        let (target, terms) = match (&union, &union_terms) {
            (Some(u), Some(t)) => (u, t),
            _ => match terms.get(example.db_id.as_str()) {
                Some(t) => (own, t),
                None => continue,
            },
        };
        let gold = match gold_tables(example, &own.schema) {
            Ok(g) if args.union => g
                .iter()
                .map(|t| format!("{}{UNION_SEP}{t}", example.db_id))
                .collect(),
            Ok(g) => g,
            Err(e) => {
                skipped.push(format!("#{index}: {e}"));
                continue;
            }
        };
        let no_values = ValueIndex::default();
        let values = if args.values {
            &target.values
        } else {
            &no_values
        };
        let samples = values.samples();
        let settings = ContextSettings {
            values,
            samples: Some(&samples),
            glossary: &glossary,
            format: SchemaFormat::Compact,
            budget: args.budget,
            max_tables: args.max_tables,
            lazy: true,
        };
        let context = schema_context(
            &target.schema,
            terms,
            &settings,
            &example.question,
            &example.question,
        );
        let whole = schema_context(
            &target.schema,
            terms,
            &ContextSettings {
                lazy: false,
                ..settings
            },
            &example.question,
            &example.question,
        );
        let missing: Vec<String> = gold
            .iter()
            .filter(|g| !context.described.iter().any(|d| d.eq_ignore_ascii_case(g)))
            .cloned()
            .collect();
        let prompt = |text: &str| prompt(text, &context.hints);
        results.push(QuestionResult {
            index: *index,
            db_id: example.db_id.clone(),
            question: example.question.clone(),
            gold,
            described: context.described.clone(),
            missing,
            hints: context.hints.clone(),
            prompt_tokens: counter.count(&prompt(&context.text)),
            full_prompt_tokens: counter.count(&prompt(&whole.text)),
            schema_tables: target.schema.tables.len(),
        });
    }
    if results.is_empty() {
        bail!("no question could be evaluated: {}", skipped.join("; "));
    }
    let overall = summarize(results.iter());
    let mut per_database = BTreeMap::new();
    let dbs: BTreeSet<&str> = results.iter().map(|r| r.db_id.as_str()).collect();
    for db in dbs {
        per_database.insert(
            db.to_string(),
            summarize(results.iter().filter(|r| r.db_id == db)),
        );
    }
    let mode = if args.union { "union" } else { "per-database" };
    print_table(mode, &args, &overall, &per_database);
    for line in &skipped {
        println!("skipped {line}");
    }
    let report = Report {
        set: args.set.name(),
        mode,
        max_tables_in_context: args.max_tables,
        budget: args.budget,
        values: args.values,
        tokenizer: "o200k_base",
        overall,
        per_database,
        skipped,
        hinted: results
            .iter()
            .filter(|r| !r.hints.is_empty())
            .map(|r| (r.index, r.hints.clone()))
            .collect(),
        misses: results
            .into_iter()
            .filter(|r| !r.missing.is_empty())
            .collect(),
    };
    let name = format!(
        "linking-{}{}.json",
        args.set.name(),
        if args.union { "-union" } else { "" }
    );
    let path = out_dir()?.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// The system prompt the agent sends with this schema text (template answers).
fn prompt(schema: &str, hints: &[String]) -> String {
    system_prompt(&PromptContext {
        dialect: Dialect::Sqlite,
        schema,
        templates: true,
        hints,
        glossary: &[],
        examples: &[],
        options: &PromptOptions::default(),
        today: None,
    })
}

/// The gold SQL's tables, spelled as `schema` spells them.
pub(crate) fn gold_tables(example: &Example, schema: &Schema) -> Result<Vec<String>> {
    let referenced = dbqa_guard::referenced_tables(&example.query, Dialect::Sqlite)
        .map_err(|e| anyhow::anyhow!("gold SQL not parsed: {e}"))?;
    let mut out: Vec<String> = Vec::new();
    for name in referenced {
        let bare = name.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
        let table = schema
            .table(bare)
            .with_context(|| format!("gold table `{name}` not in {}", example.db_id))?;
        if !out.contains(&table.name) {
            out.push(table.name.clone());
        }
    }
    Ok(out)
}

/// Every database the questions use (all of the data set's for `--union`), with values.
async fn load_all(args: &Args, examples: &[(usize, Example)]) -> Result<BTreeMap<String, Loaded>> {
    let mut ids: BTreeSet<String> = examples.iter().map(|(_, e)| e.db_id.clone()).collect();
    if args.union
        && let Ok(entries) = std::fs::read_dir(args.data.join("database"))
    {
        for entry in entries.flatten() {
            if entry.path().is_dir()
                && let Some(name) = entry.file_name().to_str()
            {
                ids.insert(name.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    for id in ids {
        if !super::db_file(&args.data, &id).exists() {
            continue;
        }
        let db = dbqa_schema::connect_url(&db_url(&args.data, &id))
            .await
            .with_context(|| format!("opening {id}"))?;
        let schema = db
            .extract_schema()
            .await
            .with_context(|| format!("extracting the schema of {id}"))?;
        let guard = Guard::new(GuardConfig::for_database(
            db.as_ref(),
            &AgentConfig::defaults().safety,
        ));
        let values = ValueIndex::load(db.as_ref(), &guard, &schema).await;
        db.close().await;
        out.insert(id, Loaded { schema, values });
    }
    Ok(out)
}

/// One schema (and value index) holding every table, named `<db_id>__<table>`.
fn union_of(loaded: &BTreeMap<String, Loaded>) -> Loaded {
    let schemas: BTreeMap<String, Schema> = loaded
        .iter()
        .map(|(id, l)| (id.clone(), l.schema.clone()))
        .collect();
    let renames: Vec<Box<TableRename>> = loaded
        .keys()
        .map(|id| {
            let prefix = format!("{id}{UNION_SEP}");
            let rename: Box<TableRename> = Box::new(move |t: &str| format!("{prefix}{t}"));
            rename
        })
        .collect();
    let parts = loaded
        .values()
        .zip(&renames)
        .map(|(l, rename)| (l.values.clone(), rename.as_ref()))
        .collect();
    Loaded {
        schema: union_schema(&schemas),
        values: ValueIndex::merged(parts),
    }
}

/// One schema holding every table, named `<db_id>__<table>`, foreign keys rewritten alike.
pub(crate) fn union_schema(schemas: &BTreeMap<String, Schema>) -> Schema {
    let mut tables = Vec::new();
    for (db, schema) in schemas {
        for table in &schema.tables {
            let mut t = table.clone();
            t.name = format!("{db}{UNION_SEP}{}", table.name);
            t.schema = None;
            for fk in &mut t.foreign_keys {
                fk.referenced_table = format!("{db}{UNION_SEP}{}", fk.referenced_table);
                fk.referenced_schema = None;
            }
            for index in &mut t.indexes {
                index.name = format!("{db}{UNION_SEP}{}", index.name);
            }
            tables.push(t);
        }
    }
    Schema {
        dialect: Dialect::Sqlite,
        tables,
    }
}

fn summarize<'a>(results: impl Iterator<Item = &'a QuestionResult>) -> Summary {
    let mut s = Summary::default();
    let (mut hits, mut hinted, mut schema_tables, mut tables) = (0usize, 0usize, 0usize, 0usize);
    let (mut tokens, mut full) = (0usize, 0usize);
    for r in results {
        s.questions += 1;
        hits += usize::from(r.missing.is_empty());
        hinted += usize::from(!r.hints.is_empty());
        schema_tables += r.schema_tables;
        tables += r.described.len();
        s.max_tables = s.max_tables.max(r.described.len());
        tokens += r.prompt_tokens;
        full += r.full_prompt_tokens;
    }
    let n = s.questions.max(1) as f64;
    s.recall = hits as f64 / n;
    s.with_hints = hinted as f64 / n;
    s.schema_tables = schema_tables as f64 / n;
    s.mean_tables = tables as f64 / n;
    s.mean_prompt_tokens = tokens as f64 / n;
    s.mean_full_prompt_tokens = full as f64 / n;
    s.token_ratio = if full == 0 {
        0.0
    } else {
        tokens as f64 / full as f64
    };
    s
}

fn print_table(
    mode: &str,
    args: &Args,
    overall: &Summary,
    per_database: &BTreeMap<String, Summary>,
) {
    println!(
        "eval linking (set {}, {mode}, SCHEMA_TOKEN_BUDGET={}, MAX_TABLES_IN_CONTEXT={}, values {}, tokens: o200k_base)",
        args.set.name(),
        args.budget,
        args.max_tables,
        if args.values { "on" } else { "off" }
    );
    println!(
        "{:<32} {:>5} {:>7} {:>7} {:>7} {:>5} {:>8} {:>8} {:>6} {:>6}",
        "database", "n", "recall", "tables", "in ctx", "max", "tokens", "full", "ratio", "hints"
    );
    let line = |name: &str, s: &Summary| {
        println!(
            "{:<32} {:>5} {:>7.3} {:>7.1} {:>7.2} {:>5} {:>8.0} {:>8.0} {:>6.2} {:>6.2}",
            name,
            s.questions,
            s.recall,
            s.schema_tables,
            s.mean_tables,
            s.max_tables,
            s.mean_prompt_tokens,
            s.mean_full_prompt_tokens,
            s.token_ratio,
            s.with_hints
        )
    };
    for (db, s) in per_database {
        line(db, s);
    }
    line("ALL", overall);
}
