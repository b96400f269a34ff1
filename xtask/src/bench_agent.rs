//! `cargo xtask bench agent`: the agent's overhead per question (instant in-process LLM,
//! SQLite demo database, template answers) and the latency of a memory LLM-cache hit.
//! Extra arguments go to criterion.

use anyhow::{Result, bail};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let status = crate::bench::cargo_bench("dbqa-agent", "agent", args).status()?;
    if !status.success() {
        bail!("agent benchmark failed ({status})");
    }
    Ok(())
}
