//! `cargo xtask bench agent`: the agent's overhead per question (instant in-process LLM,
//! SQLite demo database, template answers) and the latency of a memory LLM-cache hit.
//! Extra arguments go to criterion.

use std::process::Command;

use anyhow::{Result, bail};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.args(["bench", "-p", "dbqa-agent", "--bench", "agent"]);
    // `cargo xtask bench agent -- ARGS` passes the `--` through: drop it.
    let args = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    if !args.is_empty() {
        command.arg("--").args(args);
    }
    let status = command.status()?;
    if !status.success() {
        bail!("agent benchmark failed ({status})");
    }
    Ok(())
}
