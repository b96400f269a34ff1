//! A Model Context Protocol server over stdio: JSON-RPC 2.0, one message per line.
//!
//! Tools: `list_tables`, `describe_table`, `run_query` (through the guard, read-only
//! unless configured otherwise, with the row limit) and, when an agent is given, `ask`.
//! Resources: `dbqa://schema` (the whole schema) and `dbqa://schema/{table}`.
//!
//! Written by hand over the protocol's small server surface (`initialize`, `ping`,
//! `tools/list`, `tools/call`, `resources/list`, `resources/templates/list`,
//! `resources/read`) so it adds no dependency; it is tested with the official Python
//! client.

use std::sync::Arc;

use dbqa_agent::{DatabaseQueryAgent, QueryOptions};
use dbqa_core::{Database, ExecuteOptions, SafetyConfig, Schema};
use dbqa_guard::{Guard, GuardConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Mutex, OnceCell};

use crate::{Error, Result};

/// Protocol versions this server speaks, newest first.
const PROTOCOL_VERSIONS: [&str; 3] = ["2025-06-18", "2025-03-26", "2024-11-05"];

/// The MCP server's pieces: a database, the safety settings the guard enforces, and
/// optionally the agent for the `ask` tool.
///
/// ```no_run
/// # async fn run(db: std::sync::Arc<dyn dbqa_core::Database>) -> dbqa_server::Result<()> {
/// use dbqa_server::McpServer;
/// let server = McpServer::new(db, dbqa_core::AgentConfig::defaults().safety);
/// dbqa_server::serve_mcp_stdio(server).await
/// # }
/// ```
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<McpInner>,
}

struct McpInner {
    database: Arc<dyn Database>,
    safety: SafetyConfig,
    guard: Guard,
    agent: Option<Arc<DatabaseQueryAgent>>,
    schema: OnceCell<Arc<Schema>>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer")
            .field("database", &self.inner.database.identity())
            .field("read_only", &self.inner.safety.read_only)
            .field("ask", &self.inner.agent.is_some())
            .finish()
    }
}

impl McpServer {
    /// A server for `database` whose `run_query` obeys `safety` (read-only, allow and
    /// block lists, `max_result_rows`, `query_timeout`, `max_sql_length`).
    pub fn new(database: Arc<dyn Database>, safety: SafetyConfig) -> Self {
        let guard = Guard::new(
            GuardConfig::new(database.dialect())
                .read_only(safety.read_only)
                .allowed_tables(safety.allowed_tables.iter().cloned())
                .blocked_tables(safety.blocked_tables.iter().cloned())
                .max_rows(Some(safety.max_result_rows as u64))
                .max_length(safety.max_sql_length),
        );
        Self {
            inner: Arc::new(McpInner {
                database,
                safety,
                guard,
                agent: None,
                schema: OnceCell::new(),
            }),
        }
    }

    /// Offers the `ask` tool, answered by `agent` (use it when an LLM is configured).
    pub fn with_agent(self, agent: Arc<DatabaseQueryAgent>) -> Self {
        let inner = McpInner {
            database: Arc::clone(&self.inner.database),
            safety: self.inner.safety.clone(),
            guard: self.inner.guard.clone(),
            agent: Some(agent),
            schema: OnceCell::new(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Answers one JSON-RPC message; `None` for notifications (no `id`).
    pub async fn handle(&self, message: &Value) -> Option<Value> {
        let id = message.get("id").cloned();
        let method = message.get("method").and_then(Value::as_str).unwrap_or("");
        let params = message.get("params").cloned().unwrap_or(Value::Null);
        let id = id?;
        if method.is_empty() {
            return Some(rpc_error(id, -32600, "invalid request: no method"));
        }
        Some(match self.dispatch(method, &params).await {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err((code, message)) => rpc_error(id, code, &message),
        })
    }

    async fn dispatch(&self, method: &str, params: &Value) -> Result<Value, (i64, String)> {
        match method {
            "initialize" => Ok(self.initialize(params)),
            "ping" => Ok(json!({})),
            "tools/list" => Ok(json!({ "tools": self.tools() })),
            "tools/call" => {
                let name = params.get("name").and_then(Value::as_str).unwrap_or("");
                let args = params.get("arguments").cloned().unwrap_or(json!({}));
                self.call(name, &args).await
            }
            "resources/list" => self.resources().await.map_err(tool_to_rpc),
            "resources/templates/list" => Ok(json!({"resourceTemplates": [{
                "uriTemplate": "dbqa://schema/{table}",
                "name": "table",
                "description": "One table: columns, keys, indexes",
                "mimeType": "application/json"
            }]})),
            "resources/read" => {
                let uri = params.get("uri").and_then(Value::as_str).unwrap_or("");
                self.read_resource(uri).await
            }
            other => Err((-32601, format!("method not found: {other}"))),
        }
    }

    fn initialize(&self, params: &Value) -> Value {
        let asked = params
            .get("protocolVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let version = PROTOCOL_VERSIONS
            .iter()
            .find(|v| **v == asked)
            .unwrap_or(&PROTOCOL_VERSIONS[0]);
        let mut instructions = format!(
            "Read-{} access to a {} database. Use list_tables and describe_table to learn the schema, then run_query with one SELECT.",
            if self.inner.safety.read_only {
                "only"
            } else {
                "write"
            },
            self.inner.database.dialect()
        );
        if self.inner.agent.is_some() {
            instructions.push_str(" The ask tool answers a question in plain language.");
        }
        json!({
            "protocolVersion": version,
            "capabilities": {
                "tools": {"listChanged": false},
                "resources": {"subscribe": false, "listChanged": false}
            },
            "serverInfo": {"name": "dbqa", "version": env!("CARGO_PKG_VERSION")},
            "instructions": instructions
        })
    }

    fn tools(&self) -> Vec<Value> {
        let max = self.inner.safety.max_result_rows;
        let mut tools = vec![
            json!({
                "name": "list_tables",
                "description": "Every table and view with its column count.",
                "inputSchema": {"type": "object", "properties": {}}
            }),
            json!({
                "name": "describe_table",
                "description": "A table's columns (types, nullability), primary key, foreign keys and indexes.",
                "inputSchema": {"type": "object", "properties": {"table": {"type": "string", "description": "The table name"}}, "required": ["table"]}
            }),
            json!({
                "name": "run_query",
                "description": format!("Runs one SQL query after the dbqa guard checks it ({}; at most {max} rows).", if self.inner.safety.read_only { "read-only" } else { "writes allowed" }),
                "inputSchema": {"type": "object", "properties": {
                    "sql": {"type": "string", "description": "One SQL statement"},
                    "max_rows": {"type": "integer", "minimum": 1, "description": format!("Rows to return (at most {max})")}
                }, "required": ["sql"]}
            }),
        ];
        if self.inner.agent.is_some() {
            tools.push(json!({
                "name": "ask",
                "description": "Answers a question about the data in plain language (writes and runs the SQL).",
                "inputSchema": {"type": "object", "properties": {
                    "question": {"type": "string"},
                    "session_id": {"type": "string", "description": "Continue a conversation"}
                }, "required": ["question"]}
            }));
        }
        tools
    }

    async fn schema(&self) -> Result<Arc<Schema>, String> {
        self.inner
            .schema
            .get_or_try_init(|| async {
                self.inner
                    .database
                    .extract_schema()
                    .await
                    .map(Arc::new)
                    .map_err(|e| format!("cannot read the schema: {e}"))
            })
            .await
            .cloned()
    }

    async fn call(&self, name: &str, args: &Value) -> Result<Value, (i64, String)> {
        let outcome = match name {
            "list_tables" => self.list_tables().await,
            "describe_table" => self.describe_table(args).await,
            "run_query" => self.run_query(args).await,
            "ask" if self.inner.agent.is_some() => self.ask(args).await,
            other => return Err((-32602, format!("unknown tool: {other}"))),
        };
        Ok(match outcome {
            Ok(value) => json!({
                "content": [{"type": "text", "text": value.to_string()}],
                "structuredContent": value,
                "isError": false
            }),
            Err(message) => json!({
                "content": [{"type": "text", "text": message}],
                "isError": true
            }),
        })
    }

    async fn list_tables(&self) -> Result<Value, String> {
        let schema = self.schema().await?;
        let tables: Vec<Value> = schema
            .tables
            .iter()
            .map(|t| {
                json!({
                    "name": t.qualified_name(),
                    "kind": t.kind,
                    "columns": t.columns.len(),
                    "comment": t.comment,
                })
            })
            .collect();
        Ok(json!({ "dialect": schema.dialect.to_string(), "tables": tables }))
    }

    async fn describe_table(&self, args: &Value) -> Result<Value, String> {
        let name = args
            .get("table")
            .and_then(Value::as_str)
            .ok_or("describe_table needs a `table` argument")?;
        let schema = self.schema().await?;
        let table = schema
            .table(name)
            .ok_or_else(|| format!("no table named {name:?}; call list_tables"))?;
        serde_json::to_value(table).map_err(|e| e.to_string())
    }

    async fn run_query(&self, args: &Value) -> Result<Value, String> {
        let sql = args
            .get("sql")
            .and_then(Value::as_str)
            .ok_or("run_query needs an `sql` argument")?;
        let limit = self.inner.safety.max_result_rows;
        let max_rows = args
            .get("max_rows")
            .and_then(Value::as_u64)
            .map_or(limit, |n| (n as usize).clamp(1, limit));
        let accepted = self.inner.guard.check(sql).map_err(|r| r.to_string())?;
        let options = ExecuteOptions {
            timeout: self.inner.safety.query_timeout,
            max_rows,
            read_only: self.inner.safety.read_only,
        };
        let rows = self
            .inner
            .database
            .execute(&accepted.sql, &options)
            .await
            .map_err(|e| format!("the query failed: {e}"))?;
        let columns: Vec<&str> = rows.columns.iter().map(|c| c.name.as_str()).collect();
        Ok(json!({
            "sql": accepted.sql,
            "columns": columns,
            "rows": rows.rows,
            "row_count": rows.rows.len(),
            "truncated": rows.truncated,
        }))
    }

    async fn ask(&self, args: &Value) -> Result<Value, String> {
        let agent = self.inner.agent.as_ref().ok_or("no LLM is configured")?;
        let question = args
            .get("question")
            .and_then(Value::as_str)
            .ok_or("ask needs a `question` argument")?;
        let options = QueryOptions {
            session_id: args
                .get("session_id")
                .and_then(Value::as_str)
                .map(str::to_string),
            ..QueryOptions::default()
        };
        let response = agent
            .query_with(question, options)
            .await
            .map_err(|e| e.to_string())?;
        serde_json::to_value(&response).map_err(|e| e.to_string())
    }

    async fn resources(&self) -> Result<Value, String> {
        let schema = self.schema().await?;
        let mut resources = vec![json!({
            "uri": "dbqa://schema",
            "name": "schema",
            "description": "Every table with columns, keys and relationships",
            "mimeType": "application/json"
        })];
        resources.extend(schema.tables.iter().map(|t| {
            json!({
                "uri": format!("dbqa://schema/{}", t.qualified_name()),
                "name": t.qualified_name(),
                "mimeType": "application/json"
            })
        }));
        Ok(json!({ "resources": resources }))
    }

    async fn read_resource(&self, uri: &str) -> Result<Value, (i64, String)> {
        let schema = self.schema().await.map_err(|e| (-32603, e))?;
        let value = if uri == "dbqa://schema" {
            serde_json::to_value(&*schema)
        } else if let Some(name) = uri.strip_prefix("dbqa://schema/") {
            let table = schema
                .table(name)
                .ok_or_else(|| (-32002, format!("resource not found: {uri}")))?;
            serde_json::to_value(table)
        } else {
            return Err((-32002, format!("resource not found: {uri}")));
        }
        .map_err(|e| (-32603, e.to_string()))?;
        Ok(json!({"contents": [{
            "uri": uri,
            "mimeType": "application/json",
            "text": value.to_string()
        }]}))
    }
}

fn tool_to_rpc(message: String) -> (i64, String) {
    (-32603, message)
}

fn rpc_error(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// Serves MCP over any line-based byte streams until the reader ends.
///
/// Requests are answered concurrently (a slow `ask` does not hold up `list_tables`);
/// each answer is written as one line.
pub async fn serve_mcp<R, W>(server: McpServer, reader: R, writer: W) -> Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let writer = Arc::new(Mutex::new(writer));
    let mut lines = BufReader::new(reader).lines();
    let mut tasks = tokio::task::JoinSet::new();
    while let Some(line) = lines.next_line().await.map_err(Error::Transport)? {
        if line.trim().is_empty() {
            continue;
        }
        let server = server.clone();
        let writer = Arc::clone(&writer);
        tasks.spawn(async move {
            let reply = match serde_json::from_str::<Value>(&line) {
                Ok(Value::Array(batch)) => {
                    let mut replies = Vec::new();
                    for message in &batch {
                        replies.extend(server.handle(message).await);
                    }
                    (!replies.is_empty()).then_some(Value::Array(replies))
                }
                Ok(message) => server.handle(&message).await,
                Err(e) => Some(rpc_error(Value::Null, -32700, &format!("parse error: {e}"))),
            };
            if let Some(reply) = reply {
                let mut text = reply.to_string();
                text.push('\n');
                let mut w = writer.lock().await;
                if let Err(e) = w.write_all(text.as_bytes()).await {
                    tracing::warn!("cannot write an MCP reply: {e}");
                }
                let _ = w.flush().await;
            }
        });
        // Reap finished tasks so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Serves MCP on this process's stdin and stdout (log to stderr only).
pub async fn serve_mcp_stdio(server: McpServer) -> Result<()> {
    serve_mcp(server, tokio::io::stdin(), tokio::io::stdout()).await
}
