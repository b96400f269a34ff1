//! `cargo xtask demo-db [PATH]`: writes the demo shop database (default
//! `target/demo/shop.db` under the repository root) and prints its table counts.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::eval::repo_root;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let path = match args {
        [] => repo_root().join("target/demo/shop.db"),
        [path] if !path.starts_with('-') => PathBuf::from(path),
        _ => bail!("usage: cargo xtask demo-db [PATH]"),
    };
    let summary = dbqa_schema::demo::create_demo_database(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("{summary}");
    Ok(())
}
