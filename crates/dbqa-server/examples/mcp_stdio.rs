//! Serves a SQLite database over MCP on stdin/stdout (what `dbqa mcp --db sqlite://…`
//! does), for trying the server with an MCP client and for the client test.
//!
//! ```text
//! cargo run -p dbqa-server --example mcp_stdio -- [path/to/db.sqlite]
//! ```
//! Without a path it serves the demo shop database, created in a temporary directory.

use std::sync::Arc;

use dbqa_core::AgentConfig;
use dbqa_server::McpServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = match std::env::args().nth(1) {
        Some(path) => std::path::PathBuf::from(path),
        None => {
            let path = dir.path().join("shop.db");
            dbqa_schema::demo::create_demo_database(&path)?;
            path
        }
    };
    let db = dbqa_schema::connect_url(&format!("sqlite://{}", path.display())).await?;
    let mut safety = AgentConfig::defaults().safety;
    safety.max_result_rows = 100;
    dbqa_server::serve_mcp_stdio(McpServer::new(Arc::clone(&db), safety)).await?;
    db.close().await;
    Ok(())
}
