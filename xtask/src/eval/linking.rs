//! `cargo xtask eval linking [--data DIR] [--union] [--max-tables N]`: relevant-table
//! selection ([`dbqa_agent::selection::select_tables`]) on every question against the tables its gold
//! SQL reads ([`dbqa_guard::referenced_tables`]).
//!
//! Reported: recall (share of questions whose every gold table is described in the
//! prompt), per database and overall; mean tables described; mean prompt tokens (o200k) of
//! the system prompt as the agent builds it from the selection, against the same prompt
//! with the whole schema described. `--union` evaluates every question against one schema
//! holding all databases' tables, named `<db_id>__<table>`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use dbqa_agent::prompt::{PromptContext, system_prompt};
use dbqa_agent::render::render_schema;
use dbqa_agent::selection::select_tables;
use dbqa_core::{AgentConfig, Dialect, Schema};
use serde::Serialize;

use super::tokens::Counter;
use super::{Example, db_url, default_data, load_examples, out_dir};

/// Separator between a database id and a table name in the union schema.
const UNION_SEP: &str = "__";

struct Args {
    data: PathBuf,
    union: bool,
    max_tables: usize,
    /// `--what-if compound`: measure a proposed matching change by rewriting the question
    /// (see [`compound_hints`]) before selection.
    compound: bool,
}

fn parse(args: &[String]) -> Result<Args> {
    let mut data = default_data();
    let mut union = false;
    let mut max_tables = None;
    let mut compound = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--data" => data = PathBuf::from(super::value(&mut it, arg)?),
            "--union" => union = true,
            "--max-tables" => max_tables = Some(super::number(&mut it, arg)?.max(1)),
            "--what-if" => match super::value(&mut it, arg)?.as_str() {
                "compound" => compound = true,
                other => bail!("--what-if knows `compound`, not `{other}`"),
            },
            other => return Err(super::usage_error(other)),
        }
    }
    // The union schema is what a large real database looks like: it is evaluated at the
    // cap the goal names (8); single Spider databases at the agent's default.
    let max_tables = max_tables.unwrap_or(if union {
        8
    } else {
        AgentConfig::defaults().max_tables_in_context
    });
    Ok(Args {
        data,
        union,
        max_tables,
        compound,
    })
}

/// One question's outcome.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct QuestionResult {
    /// Index in dev.json.
    pub(crate) index: usize,
    /// The database.
    pub(crate) db_id: String,
    /// The question.
    pub(crate) question: String,
    /// Tables the gold SQL reads (as named in the evaluated schema).
    pub(crate) gold: Vec<String>,
    /// Tables described in the prompt.
    pub(crate) selected: Vec<String>,
    /// Gold tables not described.
    pub(crate) missing: Vec<String>,
    /// Tokens of the prompt with the selection.
    pub(crate) prompt_tokens: usize,
    /// Tokens of the prompt with the whole schema.
    pub(crate) full_prompt_tokens: usize,
    /// Tokens of the schema rendering alone (described tables and the name list).
    pub(crate) schema_tokens: usize,
    /// Tokens of the whole schema's rendering.
    pub(crate) full_schema_tokens: usize,
    /// Selected tables that were only foreign-key neighbours (filler).
    pub(crate) neighbours: Vec<String>,
    /// What-if: every gold table selected without the neighbour filler.
    pub(crate) hit_without_neighbours: bool,
    /// What-if: prompt tokens without the neighbour filler.
    pub(crate) prompt_tokens_without_neighbours: usize,
}

/// Figures over a group of questions.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Summary {
    /// Questions.
    pub(crate) questions: usize,
    /// Share with every gold table described.
    pub(crate) recall: f64,
    /// Tables in the schema (mean over questions).
    pub(crate) schema_tables: f64,
    /// Tables described (mean).
    pub(crate) mean_tables: f64,
    /// Most tables described for one question.
    pub(crate) max_tables: usize,
    /// Prompt tokens with the selection (mean).
    pub(crate) mean_prompt_tokens: f64,
    /// Prompt tokens with the whole schema (mean).
    pub(crate) mean_full_prompt_tokens: f64,
    /// `mean_prompt_tokens / mean_full_prompt_tokens`.
    pub(crate) token_ratio: f64,
    /// Schema rendering tokens with the selection over the whole schema's.
    pub(crate) schema_token_ratio: f64,
    /// What-if without foreign-key-neighbour filler: recall.
    pub(crate) recall_without_neighbours: f64,
    /// What-if without foreign-key-neighbour filler: mean tables.
    pub(crate) mean_tables_without_neighbours: f64,
    /// What-if without foreign-key-neighbour filler: token ratio.
    pub(crate) token_ratio_without_neighbours: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    mode: &'static str,
    data: String,
    max_tables_in_context: usize,
    tokenizer: &'static str,
    floor_prompt_tokens: Option<usize>,
    overall: Summary,
    per_database: BTreeMap<String, Summary>,
    skipped: Vec<String>,
    misses: Vec<QuestionResult>,
}

/// Runs the linking evaluation.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let args = parse(args)?;
    let examples = load_examples(&args.data)?;
    let rt = tokio::runtime::Runtime::new()?;
    let schemas = rt.block_on(load_schemas(&args, &examples))?;
    let counter = Counter::new()?;
    let max_rows = AgentConfig::defaults().safety.max_result_rows;

    let union = args.union.then(|| union_schema(&schemas));
    let mut results = Vec::new();
    let mut skipped = Vec::new();
    // Full-schema prompt tokens depend only on the schema: count once per schema.
    let mut full_tokens: BTreeMap<String, usize> = BTreeMap::new();
    for (index, example) in examples.iter().enumerate() {
        let Some(own) = schemas.get(&example.db_id) else {
            skipped.push(format!("#{index}: no schema for {}", example.db_id));
            continue;
        };
        let (schema, key) = match &union {
            Some(u) => (u, "union".to_string()),
            None => (own, example.db_id.clone()),
        };
        let gold = match gold_tables(example, own) {
            Ok(g) => g,
            Err(e) => {
                skipped.push(format!("#{index}: {e}"));
                continue;
            }
        };
        let gold: Vec<String> = match &union {
            Some(_) => gold
                .iter()
                .map(|t| format!("{}{UNION_SEP}{t}", example.db_id))
                .collect(),
            None => gold,
        };
        let question = if args.compound {
            format!(
                "{} {}",
                example.question,
                compound_hints(schema, &example.question)
            )
        } else {
            example.question.clone()
        };
        let selection = select_tables(schema, &question, args.max_tables);
        let selected: Vec<String> = selection.names().iter().map(|s| s.to_string()).collect();
        let missing: Vec<String> = gold
            .iter()
            .filter(|g| !selection.contains(g))
            .cloned()
            .collect();
        let prompt_tokens = counter.count(&prompt(schema, &selected, max_rows));
        // What the selection costs and gives without the foreign-key-neighbour filler.
        let neighbours: Vec<String> = selection
            .tables
            .iter()
            .filter(|t| t.reason.starts_with("foreign-key neighbour"))
            .map(|t| t.name.clone())
            .collect();
        let core: Vec<String> = selected
            .iter()
            .filter(|t| !neighbours.contains(t))
            .cloned()
            .collect();
        let hit_without_neighbours = gold
            .iter()
            .all(|g| core.iter().any(|c| c.eq_ignore_ascii_case(g)));
        let prompt_tokens_without_neighbours = if neighbours.is_empty() {
            prompt_tokens
        } else {
            counter.count(&prompt(schema, &core, max_rows))
        };
        let schema_tokens = counter.count(&rendered(schema, &selected));
        let full_schema_tokens = counter.count(&rendered(
            schema,
            &schema
                .tables
                .iter()
                .map(|t| t.name.clone())
                .collect::<Vec<_>>(),
        ));
        let full_prompt_tokens = *full_tokens.entry(key).or_insert_with(|| {
            let all: Vec<String> = schema.tables.iter().map(|t| t.name.clone()).collect();
            counter.count(&prompt(schema, &all, max_rows))
        });
        results.push((
            schema.tables.len(),
            QuestionResult {
                index,
                db_id: example.db_id.clone(),
                question: example.question.clone(),
                gold,
                selected,
                missing,
                prompt_tokens,
                full_prompt_tokens,
                schema_tokens,
                full_schema_tokens,
                neighbours,
                hit_without_neighbours,
                prompt_tokens_without_neighbours,
            },
        ));
    }
    if results.is_empty() {
        bail!("no question could be evaluated: {}", skipped.join("; "));
    }

    let overall = summarize(results.iter());
    let mut per_database = BTreeMap::new();
    let dbs: BTreeSet<&str> = results.iter().map(|(_, r)| r.db_id.as_str()).collect();
    for db in dbs {
        per_database.insert(
            db.to_string(),
            summarize(results.iter().filter(|(_, r)| r.db_id == db)),
        );
    }
    let mode = if args.union { "union" } else { "per-database" };
    print_table(mode, &args, &overall, &per_database);
    // The floor: the prompt with no table described (rules plus the list of table names).
    let floor_prompt_tokens = union
        .as_ref()
        .map(|u| counter.count(&prompt(u, &[], max_rows)));
    if let Some(floor) = floor_prompt_tokens {
        println!("prompt with no table described (rules and table-name list): {floor} tokens");
    }
    for line in &skipped {
        println!("skipped {line}");
    }
    let report = Report {
        mode,
        data: args.data.display().to_string(),
        max_tables_in_context: args.max_tables,
        tokenizer: "o200k_base",
        floor_prompt_tokens,
        overall,
        per_database,
        skipped,
        misses: results
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| !r.missing.is_empty())
            .collect(),
    };
    let name = format!(
        "linking{}{}.json",
        if args.union { "-union" } else { "" },
        if args.compound {
            "-whatif-compound"
        } else {
            ""
        }
    );
    let path = out_dir()?.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("wrote {}", path.display());
    Ok(())
}

/// What-if for a proposed change to relevant-table selection (not dbqa's behaviour):
/// compound names. Adjacent question words joined (`high schoolers` -> `highschoolers`,
/// for `Highschooler`) and table-name parts that contain a question word
/// (`countrylanguage` for `languages`) are returned as extra terms.
fn compound_hints(schema: &Schema, question: &str) -> String {
    let fold = |w: &str| w.strip_suffix('s').unwrap_or(w).to_string();
    let words: Vec<String> = question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut hints: Vec<String> = words
        .windows(2)
        .map(|w| format!("{}{}", w[0], w[1]))
        .collect();
    let stems: Vec<String> = words
        .iter()
        .filter(|w| w.len() >= 4)
        .map(|w| fold(w))
        .collect();
    for table in &schema.tables {
        for part in table.name.split('_').map(str::to_lowercase) {
            if part.len() >= 8
                && stems
                    .iter()
                    .any(|w| part != *w && part.contains(w.as_str()))
            {
                hints.push(part);
            }
        }
    }
    hints.join(" ")
}

/// The system prompt the agent sends with `described` tables in full (template answers,
/// no sample values: those need the database and are the same on both sides).
fn prompt(schema: &Schema, described: &[String], max_rows: usize) -> String {
    system_prompt(&PromptContext {
        dialect: Dialect::Sqlite,
        max_rows,
        schema: &rendered(schema, described),
        templates: true,
    })
}

/// The schema part of the prompt.
fn rendered(schema: &Schema, described: &[String]) -> String {
    let names: Vec<&str> = described.iter().map(String::as_str).collect();
    render_schema(schema, &names, None)
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

async fn load_schemas(args: &Args, examples: &[Example]) -> Result<BTreeMap<String, Schema>> {
    let mut ids: BTreeSet<String> = examples.iter().map(|e| e.db_id.clone()).collect();
    if args.union {
        // Every database of the set, also those without questions.
        if let Ok(entries) = std::fs::read_dir(args.data.join("database")) {
            for entry in entries.flatten() {
                if entry.path().is_dir()
                    && let Some(name) = entry.file_name().to_str()
                {
                    ids.insert(name.to_string());
                }
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
        db.close().await;
        out.insert(id, schema);
    }
    Ok(out)
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

fn summarize<'a>(results: impl Iterator<Item = &'a (usize, QuestionResult)>) -> Summary {
    let mut s = Summary::default();
    let mut hits = 0usize;
    let (mut schema_tables, mut tables, mut tokens, mut full) = (0usize, 0usize, 0usize, 0usize);
    let (mut core_hits, mut core_tables, mut core_tokens) = (0usize, 0usize, 0usize);
    let (mut schema_tokens, mut full_schema) = (0usize, 0usize);
    for (total, r) in results {
        s.questions += 1;
        if r.missing.is_empty() {
            hits += 1;
        }
        schema_tables += total;
        tables += r.selected.len();
        s.max_tables = s.max_tables.max(r.selected.len());
        tokens += r.prompt_tokens;
        full += r.full_prompt_tokens;
        schema_tokens += r.schema_tokens;
        full_schema += r.full_schema_tokens;
        core_hits += usize::from(r.hit_without_neighbours);
        core_tables += r.selected.len() - r.neighbours.len();
        core_tokens += r.prompt_tokens_without_neighbours;
    }
    let n = s.questions.max(1) as f64;
    s.recall = hits as f64 / n;
    s.schema_tables = schema_tables as f64 / n;
    s.mean_tables = tables as f64 / n;
    s.mean_prompt_tokens = tokens as f64 / n;
    s.mean_full_prompt_tokens = full as f64 / n;
    let ratio = |t: usize| {
        if full == 0 {
            0.0
        } else {
            t as f64 / full as f64
        }
    };
    s.token_ratio = ratio(tokens);
    s.schema_token_ratio = if full_schema == 0 {
        0.0
    } else {
        schema_tokens as f64 / full_schema as f64
    };
    s.recall_without_neighbours = core_hits as f64 / n;
    s.mean_tables_without_neighbours = core_tables as f64 / n;
    s.token_ratio_without_neighbours = ratio(core_tokens);
    s
}

fn print_table(
    mode: &str,
    args: &Args,
    overall: &Summary,
    per_database: &BTreeMap<String, Summary>,
) {
    println!(
        "eval linking ({mode}, MAX_TABLES_IN_CONTEXT={}, tokens: o200k_base)",
        args.max_tables
    );
    println!(
        "{:<32} {:>5} {:>7} {:>7} {:>7} {:>5} {:>8} {:>8} {:>6} {:>7}",
        "database", "n", "recall", "tables", "in ctx", "max", "tokens", "full", "ratio", "schema"
    );
    let line = |name: &str, s: &Summary| {
        println!(
            "{:<32} {:>5} {:>7.3} {:>7.1} {:>7.2} {:>5} {:>8.0} {:>8.0} {:>6.2} {:>7.2}",
            name,
            s.questions,
            s.recall,
            s.schema_tables,
            s.mean_tables,
            s.max_tables,
            s.mean_prompt_tokens,
            s.mean_full_prompt_tokens,
            s.token_ratio,
            s.schema_token_ratio
        )
    };
    for (db, s) in per_database {
        line(db, s);
    }
    line("ALL", overall);
    let worst = per_database
        .iter()
        .min_by(|a, b| a.1.recall.total_cmp(&b.1.recall));
    if let Some((db, s)) = worst {
        println!("lowest per-database recall: {db} {:.3}", s.recall);
    }
    println!(
        "without foreign-key-neighbour filler: recall {:.3}, {:.2} tables, token ratio {:.2}",
        overall.recall_without_neighbours,
        overall.mean_tables_without_neighbours,
        overall.token_ratio_without_neighbours
    );
}
