//! What the examples share: an agent configured from the environment, on `DATABASE_URL`
//! or, when that is unset, on the demo shop database written to a temporary directory.

// Each example uses part of this module.
#![allow(dead_code)]

use anyhow::Context;
use dbqa::{AgentConfig, DatabaseQueryAgent};

/// An agent from the environment (and `.env`). Keep the returned directory alive as long
/// as the agent: it holds the demo database when `DATABASE_URL` is unset.
pub(crate) async fn agent_from_env()
-> anyhow::Result<(DatabaseQueryAgent, Option<tempfile::TempDir>)> {
    let config = AgentConfig::from_env()?;
    let mut builder = DatabaseQueryAgent::builder();
    let mut demo_dir = None;
    if config.database.url.is_none() {
        let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
        let path = dir.path().join("shop.db");
        dbqa::schema::demo::create_demo_database(&path)?;
        eprintln!(
            "DATABASE_URL is unset: using the demo shop database {}",
            path.display()
        );
        builder = builder.database_url(format!("sqlite://{}", path.display()));
        demo_dir = Some(dir);
    }
    let agent = builder.config(config).build().await?;
    Ok((agent, demo_dir))
}

/// The command-line arguments joined as one question, or `default` when there are none.
pub(crate) fn question_from_args(default: &str) -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        default.to_string()
    } else {
        args.join(" ")
    }
}
