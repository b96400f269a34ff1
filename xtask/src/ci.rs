//! `cargo xtask ci`: runs `.ci/run`, the one script CI runs (readies the local services,
//! then formatting, clippy, the README's test command, rustdoc and the whole-Spider
//! checks), so a local run and CI never drift apart.

use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::eval::repo_root;

pub(crate) fn run(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        bail!("usage: cargo xtask ci (no arguments; it runs .ci/run)");
    }
    let script = repo_root().join(".ci/run");
    let status = Command::new(&script)
        .current_dir(repo_root())
        .status()
        .with_context(|| format!("starting {}", script.display()))?;
    if !status.success() {
        bail!(".ci/run failed ({status})");
    }
    Ok(())
}
