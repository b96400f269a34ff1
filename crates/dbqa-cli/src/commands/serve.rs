//! `dbqa serve`: the HTTP API, server-sent events and the web chat page.

use std::sync::Arc;
use std::time::Duration;

use dbqa_core::Environment;
use dbqa_server::ServeOptions;

use crate::agent::{self, from_agent};
use crate::cli::ServeArgs;
use crate::database;
use crate::failure::Failure;

pub(crate) async fn run(args: ServeArgs) -> Result<u8, Failure> {
    let config = agent::resolve_config(&args.agent)?;
    let db = database::connect(&config).await?;
    let agent = dbqa_agent::DatabaseQueryAgent::builder()
        .config(config)
        .database(Arc::clone(&db))
        .build()
        .await
        .map_err(from_agent)?;
    // The server's own settings come from the environment and .env too, then the flags.
    let env = Environment::from_process()?;
    let mut options = ServeOptions::from_lookup(|name| env.get(name).map(str::to_string))
        .map_err(Failure::usage)?;
    options.bind = args.bind;
    options.database = Some(db);
    if !args.cors_origins.is_empty() {
        options.cors_origins = args.cors_origins;
    }
    if let Some(seconds) = args.request_timeout {
        options.request_timeout = Duration::from_secs(seconds);
    }
    if let Some(max) = args.max_concurrent {
        options.max_concurrent_requests = max;
    }
    if let Some(bytes) = args.max_body_bytes {
        options.max_body_bytes = bytes;
    }
    eprintln!("dbqa serving on http://{}", options.bind);
    dbqa_server::serve(Arc::new(agent), options)
        .await
        .map_err(Failure::unreachable)?;
    Ok(0)
}
