//! `dbqa mcp`: the Model Context Protocol over stdio. Stdout carries the protocol only;
//! every log line goes to stderr.

use std::sync::Arc;

use dbqa_server::{AuditLog, McpServer};

use crate::agent::from_agent;
use crate::cli::McpArgs;
use crate::database;
use crate::failure::Failure;

pub(crate) async fn run(args: McpArgs) -> Result<u8, Failure> {
    let mut config = database::resolve_config(&args.db)?;
    if args.read_write {
        config.safety.read_only = false;
    }
    let db = database::connect(&config).await?;
    let mut server = McpServer::new(Arc::clone(&db), config.safety.clone());
    // Stdout is the protocol: `DBQA_AUDIT_LOG=-` means stderr here.
    if let Some(target) = std::env::var("DBQA_AUDIT_LOG")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        let audit = AuditLog::open_with(target.trim(), true).map_err(Failure::usage)?;
        server = server.with_audit(audit);
    }
    // The `ask` tool needs an LLM; without one the other tools still work.
    if config.model.provider.is_some() {
        let agent = dbqa_agent::DatabaseQueryAgent::builder()
            .config(config)
            .database(db)
            .build()
            .await
            .map_err(from_agent)?;
        server = server.with_agent(Arc::new(agent));
    }
    dbqa_server::serve_mcp_stdio(server)
        .await
        .map_err(Failure::failed)?;
    Ok(0)
}
