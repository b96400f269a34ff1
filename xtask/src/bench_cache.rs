//! `cargo xtask bench cache`: the cache backends' criterion benchmark (memory, SQLite,
//! Redis on loopback). Extra arguments go to criterion (e.g. a filter like `memory`).

use anyhow::{Result, bail};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let status = crate::bench::cargo_bench("dbqa-cache", "cache", args).status()?;
    if !status.success() {
        bail!("cache benchmark failed ({status})");
    }
    Ok(())
}
