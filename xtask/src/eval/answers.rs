//! `cargo xtask eval answers …`: the whole agent ([`dbqa_agent::DatabaseQueryAgent`], an
//! OpenAI-compatible LLM, each question's SQLite database opened read-only, caches off) on
//! each question, scored by execution accuracy ([`super::score`]), with LLM calls,
//! tokens, latency, answer modes and failure categories.
//!
//! Two configurations:
//! - `default`: dbqa as shipped (relevant-table selection, sample values, the prompt
//!   rules, `MAX_RETRIES=2`, template answers);
//! - `baseline`: a naive text-to-SQL script with the same model ([`super::naive`]): the
//!   whole schema as `CREATE TABLE` statements, a plain prompt, one call, no corrections.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use dbqa_agent::prompt::{PromptOptions, Rule};
use dbqa_agent::render::SchemaFormat;
use dbqa_agent::{AgentEvent, DatabaseQueryAgent, QueryOptions};
use dbqa_core::{AgentConfig, Environment, ToolMode};
use futures::StreamExt;
use serde::Serialize;

use super::score;
use super::sets::QuestionSet;
use super::{Example, db_file, db_url, default_data, out_dir};

/// Which configuration the agent runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Preset {
    /// dbqa's defaults.
    Default,
    /// A naive script: whole schema, plain prompt, one call ([`super::naive`]).
    Baseline,
}

impl Preset {
    fn name(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::Baseline => "baseline",
        }
    }
}

/// Where the LLM is and how to talk to it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Setup {
    /// The OpenAI-compatible API root.
    pub(crate) base_url: String,
    /// The model name sent.
    pub(crate) model: String,
    /// `LLM_TOOL_MODE`.
    pub(crate) tool_mode: ToolMode,
    /// The configuration.
    pub(crate) preset: Preset,
    /// Seconds per LLM request before it times out.
    pub(crate) llm_timeout_s: u32,
    /// Settings over dbqa's defaults for the `default` preset (`--env NAME=VALUE`), for
    /// measuring one setting against another.
    pub(crate) env: Vec<(String, String)>,
    /// `--schema-format compact|create|create-bare`.
    #[serde(skip)]
    pub(crate) format: SchemaFormat,
    /// `--prompt-without rule,rule`: rules left out of the system prompt.
    pub(crate) without: Vec<String>,
    /// `--examples loo`: every other question of the set on the same database, with its
    /// gold SQL, is a verified example while a question is asked (leave-one-out).
    pub(crate) leave_one_out: bool,
    /// `--agent-per-question`: a new agent for every question, as one `dbqa ask` process
    /// has (nothing learnt on one question, such as the tool mode, carries to the next).
    pub(crate) agent_per_question: bool,
    /// The verified examples by database, for `--examples loo`.
    #[serde(skip)]
    pub(crate) example_pool: std::sync::Arc<BTreeMap<String, Vec<(String, String)>>>,
}

impl Setup {
    /// The prompt options `--prompt-without` asks for.
    fn prompt_options(&self) -> Result<PromptOptions> {
        let mut options = PromptOptions::default();
        for name in &self.without {
            let rule = Rule::from_name(name).with_context(|| {
                let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
                format!("--prompt-without knows {}, not `{name}`", names.join(", "))
            })?;
            options = options.without(rule);
        }
        Ok(options)
    }
}

impl Setup {
    /// The agent configuration for the `default` preset: dbqa's defaults.
    pub(crate) fn config(&self) -> Result<AgentConfig> {
        let timeout = self.llm_timeout_s.to_string();
        let tool_mode = self.tool_mode.to_string();
        let mut vars: Vec<(&str, &str)> = vec![
            ("LLM_PROVIDER", "openai-compatible"),
            ("LLM_BASE_URL", &self.base_url),
            ("MODEL_STRATEGY", "fixed"),
            ("BALANCED_MODEL", &self.model),
            ("LLM_TOOL_MODE", &tool_mode),
            ("LLM_TIMEOUT", &timeout),
            ("LLM_MAX_RETRIES", "1"),
            // Every question is worked out afresh.
            ("CACHE_ENABLED", "false"),
            ("SESSION_BACKEND", "memory"),
        ];
        vars.extend(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let env = Environment::from_maps(vars, Vec::<(&str, &str)>::new());
        Ok(AgentConfig::from_environment(&env)?)
    }
}

/// Why a question was not answered right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// Same result as the gold SQL.
    Correct,
    /// SQL ran but its result differs from the gold result.
    WrongResult,
    /// The guard refused every SQL the model wrote.
    GuardRejection,
    /// Every SQL the model wrote failed in the database (or timed out).
    SqlError,
    /// The model answered without SQL, or gave nothing usable.
    NoSql,
    /// The LLM failed or could not be reached.
    LlmError,
    /// Anything else (the gold SQL failed, the database could not be opened, …).
    Other,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Correct => "correct",
            Outcome::WrongResult => "wrong result",
            Outcome::GuardRejection => "guard rejection",
            Outcome::SqlError => "SQL error",
            Outcome::NoSql => "no SQL",
            Outcome::LlmError => "LLM error",
            Outcome::Other => "other",
        }
    }
}

/// One question's result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct QuestionResult {
    /// Index in dev.json.
    pub(crate) index: usize,
    /// The database.
    pub(crate) db_id: String,
    /// The question.
    pub(crate) question: String,
    /// The gold SQL.
    pub(crate) gold_sql: String,
    /// The SQL that ran (as the guard rewrote it).
    pub(crate) sql: Option<String>,
    /// How it went.
    pub(crate) outcome: Outcome,
    /// The error, when there was one.
    pub(crate) error: Option<String>,
    /// How the answer was written: `template`, `written` (second call), `written_empty`
    /// (the second call returned no text), `none`, `reply` (no SQL), `error`.
    pub(crate) answer_mode: &'static str,
    /// SQL corrections asked of the model.
    pub(crate) corrections: u32,
    /// LLM calls.
    pub(crate) llm_calls: u32,
    /// Prompt tokens (as the server counted them).
    pub(crate) prompt_tokens: u64,
    /// Completion tokens.
    pub(crate) completion_tokens: u64,
    /// Wall time for the question, milliseconds.
    pub(crate) latency_ms: f64,
    /// Of which waiting for the LLM.
    pub(crate) llm_ms: f64,
    /// The agent's warnings (a column it repaired, …); none for the baseline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) warnings: Vec<String>,
}

impl QuestionResult {
    /// A result for `example` (dev.json index `index`) before anything is known of it.
    pub(crate) fn new(index: usize, example: &Example) -> Self {
        Self {
            index,
            db_id: example.db_id.clone(),
            question: example.question.clone(),
            gold_sql: example.query.clone(),
            sql: None,
            outcome: Outcome::Other,
            error: None,
            answer_mode: "error",
            corrections: 0,
            llm_calls: 0,
            prompt_tokens: 0,
            completion_tokens: 0,
            latency_ms: 0.0,
            llm_ms: 0.0,
            warnings: Vec::new(),
        }
    }
}

/// Figures over a run.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Summary {
    /// Questions.
    pub(crate) questions: usize,
    /// Answered right.
    pub(crate) correct: usize,
    /// `correct / questions`.
    pub(crate) accuracy: f64,
    /// Questions per outcome.
    pub(crate) outcomes: BTreeMap<Outcome, usize>,
    /// Questions per answer mode.
    pub(crate) answer_modes: BTreeMap<String, usize>,
    /// Accuracy per database (questions, correct).
    pub(crate) per_database: BTreeMap<String, (usize, usize)>,
    /// Mean LLM calls per question.
    pub(crate) mean_llm_calls: f64,
    /// LLM calls per question that got an answer (SQL that ran, or a reply).
    pub(crate) llm_calls_per_answered: f64,
    /// Mean prompt tokens per question.
    pub(crate) mean_prompt_tokens: f64,
    /// Mean completion tokens per question.
    pub(crate) mean_completion_tokens: f64,
    /// Mean corrections per question.
    pub(crate) mean_corrections: f64,
    /// Mean latency, ms.
    pub(crate) mean_latency_ms: f64,
    /// Median latency, ms.
    pub(crate) p50_latency_ms: f64,
    /// 90th percentile latency, ms.
    pub(crate) p90_latency_ms: f64,
}

/// Figures of `results`.
pub(crate) fn summarize(results: &[QuestionResult]) -> Summary {
    let mut s = Summary {
        questions: results.len(),
        ..Summary::default()
    };
    let mut latencies = Vec::new();
    let (mut calls, mut prompt, mut completion, mut corrections) = (0u64, 0u64, 0u64, 0u64);
    for r in results {
        *s.outcomes.entry(r.outcome).or_default() += 1;
        *s.answer_modes.entry(r.answer_mode.to_string()).or_default() += 1;
        let db = s.per_database.entry(r.db_id.clone()).or_default();
        db.0 += 1;
        if r.outcome == Outcome::Correct {
            s.correct += 1;
            db.1 += 1;
        }
        calls += u64::from(r.llm_calls);
        prompt += r.prompt_tokens;
        completion += r.completion_tokens;
        corrections += u64::from(r.corrections);
        latencies.push(r.latency_ms);
    }
    let n = results.len().max(1) as f64;
    s.accuracy = s.correct as f64 / n;
    s.mean_llm_calls = calls as f64 / n;
    let answered: Vec<&QuestionResult> = results.iter().filter(|r| r.sql.is_some()).collect();
    s.llm_calls_per_answered =
        answered.iter().map(|r| f64::from(r.llm_calls)).sum::<f64>() / answered.len().max(1) as f64;
    s.mean_prompt_tokens = prompt as f64 / n;
    s.mean_completion_tokens = completion as f64 / n;
    s.mean_corrections = corrections as f64 / n;
    s.mean_latency_ms = latencies.iter().sum::<f64>() / n;
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        if latencies.is_empty() {
            0.0
        } else {
            let i = ((latencies.len() - 1) as f64 * q).round() as usize;
            latencies[i.min(latencies.len() - 1)]
        }
    };
    s.p50_latency_ms = pick(0.5);
    s.p90_latency_ms = pick(0.9);
    s
}

/// Runs every question of `examples` (with its dev.json index) and calls `done` after each.
#[cfg(test)]
pub(crate) async fn evaluate(
    data: &Path,
    examples: &[(usize, Example)],
    setup: &Setup,
    done: impl FnMut(&[QuestionResult]),
) -> Result<Vec<QuestionResult>> {
    match setup.preset {
        Preset::Default => evaluate_agent(data, examples, setup, done).await,
        Preset::Baseline => super::naive::evaluate(data, examples, setup, done).await,
    }
}

/// The questions through dbqa's agent.
#[cfg(test)]
async fn evaluate_agent(
    data: &Path,
    examples: &[(usize, Example)],
    setup: &Setup,
    mut done: impl FnMut(&[QuestionResult]),
) -> Result<Vec<QuestionResult>> {
    let mut runner = AgentRunner::new(data, setup)?;
    let mut results = Vec::with_capacity(examples.len());
    for (index, example) in examples {
        results.push(runner.ask(*index, example).await?);
        done(&results);
    }
    runner.close().await;
    Ok(results)
}

/// dbqa's agent, one per database, kept across questions (as a service keeps it).
pub(crate) struct AgentRunner<'a> {
    data: &'a Path,
    config: AgentConfig,
    prompt: PromptOptions,
    format: SchemaFormat,
    agents: BTreeMap<String, DatabaseQueryAgent>,
    leave_one_out: bool,
    agent_per_question: bool,
    pool: std::sync::Arc<BTreeMap<String, Vec<(String, String)>>>,
}

impl<'a> AgentRunner<'a> {
    pub(crate) fn new(data: &'a Path, setup: &Setup) -> Result<Self> {
        Ok(Self {
            data,
            config: setup.config()?,
            prompt: setup.prompt_options()?,
            format: setup.format,
            agents: BTreeMap::new(),
            leave_one_out: setup.leave_one_out,
            agent_per_question: setup.agent_per_question,
            pool: std::sync::Arc::clone(&setup.example_pool),
        })
    }

    /// Asks one question (building the database's agent, and loading its schema, first
    /// when it is new: that is not counted in the question's latency).
    pub(crate) async fn ask(&mut self, index: usize, example: &Example) -> Result<QuestionResult> {
        if !self.agents.contains_key(&example.db_id) {
            let agent = DatabaseQueryAgent::builder()
                .config(self.config.clone())
                .database_url(db_url(self.data, &example.db_id))
                .prompt_options(self.prompt.clone())
                .schema_format(self.format)
                .warmup_on_init(true)
                .build()
                .await
                .with_context(|| format!("building the agent on {}", example.db_id))?;
            for (question, sql) in self.pool.get(&example.db_id).into_iter().flatten() {
                // Gold SQL the guard refuses is no verified example: left out.
                let _ = agent.add_example(question, sql).await;
            }
            self.agents.insert(example.db_id.clone(), agent);
        }
        let Some(agent) = self.agents.get(&example.db_id) else {
            bail!("no agent for {}", example.db_id);
        };
        // Leave-one-out: the question's own example is away while it is asked.
        let id = dbqa_agent::examples::example_id(&example.question);
        let own = match self.leave_one_out {
            true => agent.examples().await?.into_iter().find(|e| e.id == id),
            false => None,
        };
        if let Some(own) = &own {
            agent.remove_example(&own.id).await?;
        }
        let result = ask(agent, self.data, index, example).await;
        if let Some(own) = own {
            agent.add_example(&own.question, &own.sql).await?;
        }
        if self.agent_per_question
            && let Some(agent) = self.agents.remove(&example.db_id)
        {
            agent.close().await;
        }
        Ok(result)
    }

    pub(crate) async fn close(&self) {
        for agent in self.agents.values() {
            agent.close().await;
        }
    }
}

/// Asks one question and scores the SQL that ran.
async fn ask(
    agent: &DatabaseQueryAgent,
    data: &Path,
    index: usize,
    example: &Example,
) -> QuestionResult {
    // Calls and tokens from the agent's statistics, so failed questions count theirs too.
    let before = agent.stats().await;
    let started = Instant::now();
    let options = QueryOptions::default().use_cache(false);
    let mut stream = std::pin::pin!(agent.query_stream_with(&example.question, options));
    let mut corrections = 0u32;
    let mut written = false;
    let mut response = None;
    let mut error = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(AgentEvent::Status { message }) => {
                if message.contains("correcting") {
                    corrections += 1;
                }
                if message.contains("writing the answer") {
                    written = true;
                }
            }
            Ok(AgentEvent::Done { response: r }) => response = Some(*r),
            Ok(_) => {}
            Err(e) => error = Some(e),
        }
    }
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let after = agent.stats().await;
    let mut result = QuestionResult {
        corrections,
        llm_calls: u32::try_from(after.llm_calls.saturating_sub(before.llm_calls))
            .unwrap_or(u32::MAX),
        prompt_tokens: after
            .tokens
            .prompt_tokens
            .saturating_sub(before.tokens.prompt_tokens),
        completion_tokens: after
            .tokens
            .completion_tokens
            .saturating_sub(before.tokens.completion_tokens),
        latency_ms,
        ..QuestionResult::new(index, example)
    };
    let response = match (response, error) {
        (Some(r), _) => r,
        (None, Some(e)) => {
            result.outcome = match e.kind() {
                "validation" => Outcome::GuardRejection,
                "execution" | "timeout" => Outcome::SqlError,
                "no_answer" => Outcome::NoSql,
                "llm" | "llm_unavailable" => Outcome::LlmError,
                _ => Outcome::Other,
            };
            result.error = Some(e.to_string());
            return result;
        }
        (None, None) => {
            result.error = Some("the stream ended without a response".into());
            return result;
        }
    };
    result.llm_ms = response.timings.llm_ms;
    result.warnings = response.warnings.clone();
    let Some(sql) = response.sql.clone() else {
        result.outcome = Outcome::NoSql;
        result.answer_mode = "reply";
        result.error = response.natural_response.map(|r| format!("reply: {r}"));
        return result;
    };
    result.answer_mode = match (&response.natural_response, written) {
        _ if response.verified_example.is_some() => "verified_example",
        (None, true) => "written_empty",
        (None, false) => "none",
        (Some(_), true) => "written",
        (Some(_), false) => "template",
    };
    result.sql = Some(sql.clone());
    let (outcome, error) = score_sql(&db_file(data, &example.db_id), &example.query, &sql);
    result.outcome = outcome;
    result.error = error;
    result
}

/// Scores predicted SQL against the gold SQL on the database file at `path`.
pub(crate) fn score_sql(path: &Path, gold_sql: &str, sql: &str) -> (Outcome, Option<String>) {
    let gold = match score::execute(path, gold_sql) {
        Ok(rows) => rows,
        Err(e) => return (Outcome::Other, Some(format!("gold SQL failed: {e}"))),
    };
    let predicted = match score::execute(path, sql) {
        Ok(rows) => rows,
        Err(e) => return (Outcome::SqlError, Some(e)),
    };
    if score::results_match(&gold, &predicted, score::gold_orders(gold_sql)) {
        (Outcome::Correct, None)
    } else {
        (
            Outcome::WrongResult,
            Some(format!(
                "{} row(s), gold {} row(s)",
                predicted.len(),
                gold.len()
            )),
        )
    }
}

struct Args {
    data: PathBuf,
    set: QuestionSet,
    sample: Option<usize>,
    offset: usize,
    limit: Option<usize>,
    /// `--questions`: only these set indices (the `#N` a run prints).
    only: Option<Vec<usize>>,
    /// `--glossary demo|none|FILE`; the demo shop set defaults to the demo glossary, as the
    /// command line uses it on the demo database.
    glossary: Option<String>,
    name: Option<String>,
    presets: Vec<Preset>,
    setup: Setup,
}

fn parse(args: &[String]) -> Result<Args> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut out = Args {
        data: default_data(),
        set: QuestionSet::Dev,
        sample: None,
        offset: 0,
        limit: None,
        only: None,
        glossary: None,
        name: None,
        presets: vec![Preset::Default],
        setup: Setup {
            base_url: env("LLM_BASE_URL").unwrap_or_else(|| "http://127.0.0.1:8011/v1".into()),
            model: env("EVAL_MODEL").unwrap_or_else(|| "qwen2.5-coder-1.5b".into()),
            tool_mode: match env("LLM_TOOL_MODE") {
                Some(mode) => mode
                    .parse()
                    .map_err(|e| anyhow::anyhow!("LLM_TOOL_MODE: {e}"))?,
                None => ToolMode::Auto,
            },
            preset: Preset::Default,
            llm_timeout_s: 300,
            env: Vec::new(),
            format: SchemaFormat::Compact,
            without: Vec::new(),
            leave_one_out: false,
            agent_per_question: false,
            example_pool: Default::default(),
        },
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--data" => out.data = PathBuf::from(super::value(&mut it, arg)?),
            "--set" => out.set = super::value(&mut it, arg)?.parse()?,
            "--sample" => out.sample = Some(super::number(&mut it, arg)?),
            "--limit" => out.limit = Some(super::number(&mut it, arg)?),
            "--offset" => out.offset = super::number(&mut it, arg)?,
            "--questions" => {
                let list = super::value(&mut it, arg)?;
                let indices = list
                    .split(',')
                    .map(|n| n.trim().trim_start_matches('#').parse::<usize>())
                    .collect::<std::result::Result<Vec<_>, _>>()
                    .with_context(|| {
                        format!("--questions takes indices like 3,17,40, not `{list}`")
                    })?;
                out.only = Some(indices);
            }
            "--llm-base-url" => out.setup.base_url = super::value(&mut it, arg)?,
            "--model" => out.setup.model = super::value(&mut it, arg)?,
            "--name" => out.name = Some(super::value(&mut it, arg)?),
            "--glossary" => out.glossary = Some(super::value(&mut it, arg)?),
            "--env" => {
                let pair = super::value(&mut it, arg)?;
                let (name, value) = pair
                    .split_once('=')
                    .with_context(|| format!("--env needs NAME=VALUE, got `{pair}`"))?;
                out.setup.env.push((name.to_string(), value.to_string()));
            }
            "--schema-format" => {
                out.setup.format = match super::value(&mut it, arg)?.as_str() {
                    "compact" => SchemaFormat::Compact,
                    "create" => SchemaFormat::CreateTable,
                    "create-bare" => SchemaFormat::CreateTableBare,
                    other => {
                        bail!("--schema-format is compact, create or create-bare, not `{other}`")
                    }
                }
            }
            "--prompt-without" => {
                out.setup.without = super::value(&mut it, arg)?
                    .split(',')
                    .map(str::to_string)
                    .collect()
            }
            "--examples" => {
                out.setup.leave_one_out = match super::value(&mut it, arg)?.as_str() {
                    "loo" => true,
                    "none" => false,
                    other => bail!("--examples is loo or none, not `{other}`"),
                }
            }
            "--agent-per-question" => out.setup.agent_per_question = true,
            "--tool-mode" => {
                out.setup.tool_mode = super::value(&mut it, arg)?
                    .parse()
                    .map_err(|e| anyhow::anyhow!("--tool-mode: {e}"))?
            }
            "--config" => {
                out.presets = match super::value(&mut it, arg)?.as_str() {
                    "default" => vec![Preset::Default],
                    "baseline" => vec![Preset::Baseline],
                    "both" => vec![Preset::Default, Preset::Baseline],
                    other => bail!("--config is default, baseline or both, not `{other}`"),
                }
            }
            other => return Err(super::usage_error(other)),
        }
    }
    if let Some(path) = glossary_file(out.glossary.as_deref(), out.set)? {
        out.setup
            .env
            .push(("SCHEMA_GLOSSARY".into(), path.display().to_string()));
    }
    Ok(out)
}

/// The `SCHEMA_GLOSSARY` file `--glossary` asks for, the demo one written under
/// `target/eval/` from [`dbqa_schema::demo::DEMO_GLOSSARY`].
fn glossary_file(choice: Option<&str>, set: QuestionSet) -> Result<Option<PathBuf>> {
    let choice = choice.unwrap_or(if super::sets::is_demo_shop(set) {
        "demo"
    } else {
        "none"
    });
    match choice {
        "none" => Ok(None),
        "demo" => {
            let path = super::target_dir().join("eval/demo-shop.glossary");
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, dbqa_schema::demo::DEMO_GLOSSARY)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(Some(path))
        }
        file => Ok(Some(PathBuf::from(file))),
    }
}

#[derive(Serialize)]
struct Report<'a> {
    name: &'a str,
    date: String,
    data: String,
    set: &'static str,
    offset: usize,
    limit: Option<usize>,
    setup: &'a Setup,
    summary: Summary,
    questions: &'a [QuestionResult],
}

/// One configuration's runner.
enum Runner<'a> {
    Agent(Box<AgentRunner<'a>>),
    Naive(Box<super::naive::NaiveRunner<'a>>),
}

impl Runner<'_> {
    async fn ask(&mut self, index: usize, example: &Example) -> Result<QuestionResult> {
        match self {
            Runner::Agent(runner) => runner.ask(index, example).await,
            Runner::Naive(runner) => runner.ask(index, example).await,
        }
    }
}

/// Runs the answers evaluation.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let args = parse(args)?;
    let mut args = args;
    let selected = super::sets::load(args.set, &args.data)?;
    if args.setup.leave_one_out {
        let mut pool: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (_, example) in &selected {
            pool.entry(example.db_id.clone())
                .or_default()
                .push((example.question.clone(), example.query.clone()));
        }
        args.setup.example_pool = std::sync::Arc::new(pool);
    }
    let selected = match args.sample {
        Some(n) => super::sets::sample(selected, n),
        None => selected,
    };
    let examples: Vec<(usize, Example)> = selected
        .into_iter()
        .filter(|(index, _)| args.only.as_ref().is_none_or(|only| only.contains(index)))
        .skip(args.offset)
        .take(args.limit.unwrap_or(usize::MAX))
        .collect();
    if examples.is_empty() {
        bail!("no questions selected (check --set, --questions, --offset and --limit)");
    }
    let base_name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("answers-{}-{}", args.set.name(), args.setup.tool_mode));
    let setups: Vec<(String, Setup)> = args
        .presets
        .iter()
        .map(|&preset| {
            let name = format!("{base_name}-{}", preset.name());
            (
                name,
                Setup {
                    preset,
                    ..args.setup.clone()
                },
            )
        })
        .collect();
    let dir = out_dir()?;
    let date = date_now();
    println!(
        "eval answers `{base_name}`: {} question(s) of set {}, config {}, model {} at {}, tool mode {}",
        examples.len(),
        args.set.name(),
        args.presets
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(" + "),
        args.setup.model,
        args.setup.base_url,
        args.setup.tool_mode
    );
    let total = examples.len();
    let write = |name: &str, setup: &Setup, results: &[QuestionResult]| -> Result<Summary> {
        let summary = summarize(results);
        let report = Report {
            name,
            date: date.clone(),
            data: args.data.display().to_string(),
            set: args.set.name(),
            offset: args.offset,
            limit: args.limit,
            setup,
            summary: summary.clone(),
            questions: results,
        };
        std::fs::write(
            dir.join(format!("{name}.json")),
            serde_json::to_string_pretty(&report)?,
        )?;
        std::fs::write(
            dir.join(format!("{name}.md")),
            markdown(name, &date, setup, &summary, total),
        )?;
        Ok(summary)
    };
    let rt = tokio::runtime::Runtime::new()?;
    let all = rt.block_on(async {
        let mut runners = Vec::new();
        for (_, setup) in &setups {
            runners.push(match setup.preset {
                Preset::Default => Runner::Agent(Box::new(AgentRunner::new(&args.data, setup)?)),
                Preset::Baseline => {
                    Runner::Naive(Box::new(super::naive::NaiveRunner::new(&args.data, setup)?))
                }
            });
        }
        let mut all: Vec<Vec<QuestionResult>> = vec![Vec::new(); runners.len()];
        for (n, (index, example)) in examples.iter().enumerate() {
            // Alternate which configuration goes first, so neither always meets a
            // warmer (or busier) machine.
            let mut order: Vec<usize> = (0..runners.len()).collect();
            if n % 2 == 1 {
                order.reverse();
            }
            for i in order {
                let result = runners[i].ask(*index, example).await?;
                progress(&setups[i].0, n + 1, total, &result, &all[i]);
                all[i].push(result);
                // Partial results survive an interrupted run.
                if all[i].len().is_multiple_of(10)
                    && let Err(e) = write(&setups[i].0, &setups[i].1, &all[i])
                {
                    eprintln!("could not write partial results: {e}");
                }
            }
        }
        for runner in &runners {
            if let Runner::Agent(agent) = runner {
                agent.close().await;
            }
        }
        Ok::<_, anyhow::Error>(all)
    })?;
    let mut summaries = Vec::new();
    for ((name, setup), results) in setups.iter().zip(&all) {
        let summary = write(name, setup, results)?;
        print!("{}", markdown(name, &date, setup, &summary, total));
        println!("wrote {}/{name}.json and {name}.md", dir.display());
        summaries.push((setup.preset, summary));
    }
    if let [(_, dbqa), (_, naive)] = summaries.as_slice() {
        let text = comparison(&base_name, &date, &args.setup, args.set.name(), dbqa, naive);
        std::fs::write(dir.join(format!("{base_name}-comparison.md")), &text)?;
        print!("{text}");
    }
    Ok(())
}

/// One line per answered question.
fn progress(name: &str, n: usize, total: usize, r: &QuestionResult, before: &[QuestionResult]) {
    let correct = before
        .iter()
        .filter(|r| r.outcome == Outcome::Correct)
        .count()
        + usize::from(r.outcome == Outcome::Correct);
    println!(
        "[{n}/{total}] {name} #{} {} {:.1}s calls={} acc={:.3} | {}",
        r.index,
        r.outcome.label(),
        r.latency_ms / 1000.0,
        r.llm_calls,
        correct as f64 / (before.len() + 1) as f64,
        r.sql.as_deref().unwrap_or("-").replace('\n', " ")
    );
}

/// dbqa beside the naive baseline, from one run.
fn comparison(
    name: &str,
    date: &str,
    setup: &Setup,
    set: &str,
    dbqa: &Summary,
    naive: &Summary,
) -> String {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    format!(
        "# eval answers: {name}\n\n{date}; set `{set}`, {} question(s); model `{}` ({}), dbqa tool mode `{}`{}.\n\n\
         | | dbqa | naive baseline | dbqa − baseline (or ÷) |\n|---|---|---|---|\n\
         | execution accuracy | {:.3} | {:.3} | {:+.1} points |\n\
         | LLM calls / question | {:.2} | {:.2} | |\n\
         | LLM calls / answered question | {:.2} | {:.2} | |\n\
         | prompt tokens / question | {:.0} | {:.0} | ×{:.2} |\n\
         | latency mean | {:.2} s | {:.2} s | ×{:.2} |\n\
         | latency p50 / p90 | {:.2} / {:.2} s | {:.2} / {:.2} s | |\n\n",
        dbqa.questions,
        setup.model,
        setup.base_url,
        setup.tool_mode,
        if setup.env.is_empty() && setup.without.is_empty() && setup.format == SchemaFormat::Compact
        {
            String::new()
        } else {
            format!(
                ", settings {}{}{}",
                setup
                    .env
                    .iter()
                    .map(|(k, v)| format!("`{k}={v}`"))
                    .collect::<Vec<_>>()
                    .join(" "),
                if setup.format == SchemaFormat::CreateTable {
                    " `--schema-format create`"
                } else {
                    ""
                },
                if setup.without.is_empty() {
                    String::new()
                } else {
                    format!(" `--prompt-without {}`", setup.without.join(","))
                }
            )
        },
        dbqa.accuracy,
        naive.accuracy,
        (dbqa.accuracy - naive.accuracy) * 100.0,
        dbqa.mean_llm_calls,
        naive.mean_llm_calls,
        dbqa.llm_calls_per_answered,
        naive.llm_calls_per_answered,
        dbqa.mean_prompt_tokens,
        naive.mean_prompt_tokens,
        ratio(dbqa.mean_prompt_tokens, naive.mean_prompt_tokens),
        dbqa.mean_latency_ms / 1000.0,
        naive.mean_latency_ms / 1000.0,
        ratio(dbqa.mean_latency_ms, naive.mean_latency_ms),
        dbqa.p50_latency_ms / 1000.0,
        dbqa.p90_latency_ms / 1000.0,
        naive.p50_latency_ms / 1000.0,
        naive.p90_latency_ms / 1000.0,
    )
}

/// The markdown summary of a run.
pub(crate) fn markdown(
    name: &str,
    date: &str,
    setup: &Setup,
    s: &Summary,
    planned: usize,
) -> String {
    let mut out = format!(
        "# eval answers: {name}\n\n\
         {date}; config `{}`, model `{}` ({}), tool mode `{}`; {} of {planned} question(s).\n\n\
         | figure | value |\n|---|---|\n\
         | execution accuracy | {:.3} ({}/{}) |\n\
         | LLM calls / question | {:.2} |\n\
         | prompt tokens / question | {:.0} |\n\
         | completion tokens / question | {:.0} |\n\
         | corrections / question | {:.2} |\n\
         | latency mean / p50 / p90 | {:.2} s / {:.2} s / {:.2} s |\n\n",
        setup.preset.name(),
        setup.model,
        setup.base_url,
        setup.tool_mode,
        s.questions,
        s.accuracy,
        s.correct,
        s.questions,
        s.mean_llm_calls,
        s.mean_prompt_tokens,
        s.mean_completion_tokens,
        s.mean_corrections,
        s.mean_latency_ms / 1000.0,
        s.p50_latency_ms / 1000.0,
        s.p90_latency_ms / 1000.0,
    );
    out.push_str("| outcome | questions |\n|---|---|\n");
    for (outcome, n) in &s.outcomes {
        out.push_str(&format!("| {} | {n} |\n", outcome.label()));
    }
    out.push_str("\n| answer mode | questions |\n|---|---|\n");
    for (mode, n) in &s.answer_modes {
        out.push_str(&format!("| {mode} | {n} |\n"));
    }
    out.push_str("\n| database | questions | accuracy |\n|---|---|---|\n");
    for (db, (n, correct)) in &s.per_database {
        out.push_str(&format!(
            "| {db} | {n} | {:.3} |\n",
            *correct as f64 / (*n).max(1) as f64
        ));
    }
    out
}

/// Today's date and time (UTC), `YYYY-MM-DD HH:MM UTC`.
fn date_now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string()
}
