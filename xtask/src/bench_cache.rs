//! `cargo xtask bench cache`: the cache backends' criterion benchmark (memory, SQLite,
//! Redis on loopback). Extra arguments go to criterion (e.g. a filter like `memory`).

use std::process::Command;

use anyhow::{Result, bail};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.args(["bench", "-p", "dbqa-cache", "--bench", "cache"]);
    if !args.is_empty() {
        command.arg("--").args(args);
    }
    let status = command.status()?;
    if !status.success() {
        bail!("cache benchmark failed ({status})");
    }
    Ok(())
}
