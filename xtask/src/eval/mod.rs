//! `cargo xtask eval <linking|answers> …`: dbqa measured on a Spider-format question set.
//!
//! - `linking` ([`linking`]): relevant-table selection against the tables the gold SQL
//!   reads: recall, tables in context, prompt tokens against the full-schema prompt.
//! - `answers` ([`answers`]): the whole agent against an OpenAI-compatible LLM, scored by
//!   execution accuracy the way Spider does ([`score`]).
//!
//! Both write JSON (and `answers` a markdown summary) under `target/eval/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

pub(crate) mod answers;
pub(crate) mod linking;
pub(crate) mod naive;
pub(crate) mod score;
pub(crate) mod sets;
pub(crate) mod tokens;

#[cfg(test)]
mod tests;

const USAGE: &str = "usage: cargo xtask eval linking [--data DIR] [--union] [--max-tables N]
       cargo xtask eval answers [--data DIR] [--limit N] [--offset N]
                                [--llm-base-url URL] [--model M] [--tool-mode auto|required|json|text]
                                [--config default|baseline|both] [--name NAME]
                                [--set dev|tuning|report|paraphrases|demo-shop|demo-shop-tuning]
                                [--sample N] [--questions I,J,…]
                                [--schema-format compact|create|create-bare] [--prompt-without RULE,…]
                                [--examples none|loo] [--agent-per-question] [--glossary demo|none|FILE] [--env NAME=VALUE]";

/// Runs `cargo xtask eval …`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    if args.iter().any(|a| matches!(a.as_str(), "-h" | "--help")) {
        println!("{USAGE}");
        return Ok(());
    }
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("linking") => linking::run(rest),
        Some("answers") => answers::run(rest),
        Some(other) => bail!("unknown eval `{other}`\n\n{USAGE}"),
        None => bail!("{USAGE}"),
    }
}

/// One question of a Spider-format set (`dev.json`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Example {
    /// The database the question is about.
    pub(crate) db_id: String,
    /// The question in English.
    pub(crate) question: String,
    /// The gold SQL.
    pub(crate) query: String,
}

/// The repository root (xtask's parent).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `cargo` (the one running xtask) in the repository root.
pub(crate) fn cargo() -> std::process::Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(repo_root());
    command
}

/// Where cargo builds: `CARGO_TARGET_DIR`, else `target/` in the repository.
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// `../shared/data/spider-dev` beside the repository.
pub(crate) fn default_data() -> PathBuf {
    repo_root().join("../shared/data/spider-dev")
}

/// Where results go: `target/eval/`.
pub(crate) fn out_dir() -> Result<PathBuf> {
    let dir = repo_root().join("target/eval");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Reads `dev.json` of a Spider-format set.
pub(crate) fn load_examples(data: &Path) -> Result<Vec<Example>> {
    let path = data.join("dev.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {} (pass --data DIR)", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The SQLite file of database `db_id` (the demo shop's own for its questions).
pub(crate) fn db_file(data: &Path, db_id: &str) -> PathBuf {
    if db_id == sets::DEMO_SHOP {
        return sets::demo_shop_file();
    }
    data.join("database")
        .join(db_id)
        .join(format!("{db_id}.sqlite"))
}

/// A read-only `sqlite://` URL for database `db_id`.
pub(crate) fn db_url(data: &Path, db_id: &str) -> String {
    format!("sqlite://{}?mode=ro", db_file(data, db_id).display())
}

/// The value following a flag.
pub(crate) fn value<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<String> {
    it.next()
        .cloned()
        .with_context(|| format!("{flag} needs a value\n\n{USAGE}"))
}

/// `--flag N`.
pub(crate) fn number<'a>(it: &mut impl Iterator<Item = &'a String>, flag: &str) -> Result<usize> {
    let text = value(it, flag)?;
    text.parse()
        .with_context(|| format!("{flag} needs a number, got `{text}`"))
}

/// The usage text, for unknown arguments.
pub(crate) fn usage_error(arg: &str) -> anyhow::Error {
    anyhow::anyhow!("unknown argument `{arg}`\n\n{USAGE}")
}
