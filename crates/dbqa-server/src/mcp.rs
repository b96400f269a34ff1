//! A Model Context Protocol server over stdio, on the official Rust SDK (`rmcp`): it
//! negotiates the protocol version, frames the JSON-RPC messages and answers requests
//! concurrently; this module only says what the tools and resources are and do.
//!
//! Tools: `list_tables`, `describe_table`, `run_query` (through the guard, read-only
//! unless configured otherwise, with the row limit; with `chart`, also the result's chart
//! as a PNG image) and, when an agent is given, `ask`.
//! Resources: `dbqa://schema` (the whole schema) and `dbqa://schema/{table}`.

use std::sync::Arc;

use base64::Engine as _;

use dbqa_agent::{DatabaseQueryAgent, QueryOptions};
use dbqa_core::{Database, ExecuteOptions, SafetyConfig, Schema};
use dbqa_guard::{Guard, GuardConfig};

use crate::audit::{AuditLog, AuditRecord};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::OnceCell;

use crate::{Error, Result};

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
    audit: Option<AuditLog>,
    /// The schema as the table lists let it be seen, and the guard that also blocks the
    /// views over blocked tables.
    schema: OnceCell<(Arc<Schema>, Guard)>,
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

/// A JSON-Schema object for a tool's input.
/// A tool's result: its JSON, and for `run_query` with `chart`, the chart as a PNG.
struct ToolOutput {
    value: Value,
    image: Option<Vec<u8>>,
}

impl From<Value> for ToolOutput {
    fn from(value: Value) -> Self {
        Self { value, image: None }
    }
}

/// The suggested chart of `rows` as a PNG, when one fits and draws.
fn chart_png(rows: &dbqa_core::Rows) -> Option<Vec<u8>> {
    let chart = dbqa_agent::chart::suggest(rows)?;
    match crate::chart_image::png(&chart) {
        Ok(png) => Some(png),
        Err(e) => {
            tracing::warn!("run_query chart not drawn: {e}");
            None
        }
    }
}

fn input_schema(schema: Value) -> Arc<JsonObject> {
    match schema {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

impl McpServer {
    /// A server for `database` whose `run_query` obeys `safety` (read-only, allow and
    /// block lists, `max_result_rows`, `query_timeout`, `max_sql_length`).
    pub fn new(database: Arc<dyn Database>, safety: SafetyConfig) -> Self {
        let guard = Guard::new(GuardConfig::for_database(database.as_ref(), &safety));
        Self {
            inner: Arc::new(McpInner {
                database,
                safety,
                guard,
                agent: None,
                audit: None,
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
            audit: self.inner.audit.clone(),
            schema: OnceCell::new(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Writes an audit line for every `run_query` and `ask` call (user `mcp`).
    pub fn with_audit(self, audit: AuditLog) -> Self {
        let inner = McpInner {
            database: Arc::clone(&self.inner.database),
            safety: self.inner.safety.clone(),
            guard: self.inner.guard.clone(),
            agent: self.inner.agent.clone(),
            audit: Some(audit),
            schema: OnceCell::new(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// One audit line, when a log is set.
    fn audit(&self, record: &AuditRecord<'_>) {
        if let Some(log) = &self.inner.audit {
            log.write(record);
        }
    }

    fn instructions(&self) -> String {
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
        instructions
    }

    fn tools(&self) -> Vec<Tool> {
        let max = self.inner.safety.max_result_rows;
        let access = if self.inner.safety.read_only {
            "read-only"
        } else {
            "writes allowed"
        };
        let mut tools = vec![
            Tool::new(
                "list_tables",
                "Every table and view with its column count.",
                input_schema(json!({"type": "object", "properties": {}})),
            ),
            Tool::new(
                "describe_table",
                "A table's columns (types, nullability), primary key, foreign keys and indexes.",
                input_schema(json!({"type": "object",
                    "properties": {"table": {"type": "string", "description": "The table name"}},
                    "required": ["table"]})),
            ),
            Tool::new(
                "run_query",
                format!(
                    "Runs one SQL query after the dbqa guard checks it ({access}; at most {max} rows)."
                ),
                input_schema(json!({"type": "object", "properties": {
                    "sql": {"type": "string", "description": "One SQL statement"},
                    "max_rows": {"type": "integer", "minimum": 1, "description": format!("Rows to return (at most {max})")},
                    "chart": {"type": "boolean", "description": "Also return a chart of the result as a PNG image, when one fits (a category or date column with numbers)"}
                }, "required": ["sql"]})),
            ),
        ];
        if self.inner.agent.is_some() {
            tools.push(Tool::new(
                "ask",
                "Answers a question about the data in plain language (writes and runs the SQL).",
                input_schema(json!({"type": "object", "properties": {
                    "question": {"type": "string"},
                    "session_id": {"type": "string", "description": "Continue a conversation"}
                }, "required": ["question"]})),
            ));
        }
        tools
    }

    /// The visible schema and its guard, read once.
    async fn visible(&self) -> std::result::Result<&(Arc<Schema>, Guard), String> {
        self.inner
            .schema
            .get_or_try_init(|| async {
                let full = self
                    .inner
                    .database
                    .extract_schema()
                    .await
                    .map_err(|e| format!("cannot read the schema: {e}"))?;
                let (visible, guard) = self.inner.guard.visible(&full);
                Ok((Arc::new(visible), guard))
            })
            .await
    }

    async fn schema(&self) -> std::result::Result<Arc<Schema>, String> {
        Ok(Arc::clone(&self.visible().await?.0))
    }

    /// The schema for a protocol request (resources), whose failure is an internal error.
    async fn schema_for_protocol(&self) -> std::result::Result<Arc<Schema>, McpError> {
        self.schema()
            .await
            .map_err(|e| McpError::internal_error(e, None))
    }

    /// Runs a tool: its JSON result, or a message for the caller (a tool error, which the
    /// model reads, rather than a protocol error, which clients hide).
    async fn run_tool(
        &self,
        name: &str,
        args: &JsonObject,
    ) -> std::result::Result<std::result::Result<ToolOutput, String>, McpError> {
        Ok(match name {
            "list_tables" => self.list_tables().await.map(ToolOutput::from),
            "describe_table" => self.describe_table(args).await.map(ToolOutput::from),
            "run_query" => self.run_query(args).await,
            "ask" if self.inner.agent.is_some() => self.ask(args).await.map(ToolOutput::from),
            other => {
                return Err(McpError::invalid_params(
                    format!("unknown tool: {other}"),
                    None,
                ));
            }
        })
    }

    async fn list_tables(&self) -> std::result::Result<Value, String> {
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

    async fn describe_table(&self, args: &JsonObject) -> std::result::Result<Value, String> {
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

    async fn run_query(&self, args: &JsonObject) -> std::result::Result<ToolOutput, String> {
        let sql = args
            .get("sql")
            .and_then(Value::as_str)
            .ok_or("run_query needs an `sql` argument")?;
        let limit = self.inner.safety.max_result_rows;
        let max_rows = args
            .get("max_rows")
            .and_then(Value::as_u64)
            .map_or(limit, |n| (n as usize).clamp(1, limit));
        let started = std::time::Instant::now();
        let (_, guard) = self.visible().await?;
        let accepted = match guard.check(sql) {
            Ok(accepted) => accepted,
            Err(rejection) => {
                self.audit(&AuditRecord {
                    sql: Some(sql),
                    outcome: "validation",
                    ..AuditRecord::new("mcp", "mcp_run_query", started)
                });
                return Err(rejection.to_string());
            }
        };
        let options = ExecuteOptions {
            max_rows,
            ..ExecuteOptions::from_safety(&self.inner.safety)
        };
        let rows = match self.inner.database.execute(&accepted.sql, &options).await {
            Ok(rows) => rows,
            Err(e) => {
                self.audit(&AuditRecord {
                    sql: Some(&accepted.sql),
                    tables: &accepted.tables,
                    outcome: "execution",
                    ..AuditRecord::new("mcp", "mcp_run_query", started)
                });
                return Err(format!("the query failed: {e}"));
            }
        };
        self.audit(&AuditRecord {
            sql: Some(&accepted.sql),
            tables: &accepted.tables,
            rows: rows.len(),
            ..AuditRecord::new("mcp", "mcp_run_query", started)
        });
        let image = match args.get("chart").and_then(Value::as_bool) {
            Some(true) => chart_png(&rows),
            _ => None,
        };
        let columns: Vec<&str> = rows.columns.iter().map(|c| c.name.as_str()).collect();
        let value = json!({
            "sql": accepted.sql,
            "columns": columns,
            "rows": rows.rows,
            "row_count": rows.rows.len(),
            "truncated": rows.truncated,
            "chart": image.is_some(),
        });
        Ok(ToolOutput { value, image })
    }

    async fn ask(&self, args: &JsonObject) -> std::result::Result<Value, String> {
        let agent = self.inner.agent.as_ref().ok_or("no LLM is configured")?;
        let question = args
            .get("question")
            .and_then(Value::as_str)
            .ok_or("ask needs a `question` argument")?;
        let mut options = QueryOptions::default();
        options.session_id = args
            .get("session_id")
            .and_then(Value::as_str)
            .map(str::to_string);
        let started = std::time::Instant::now();
        let response = match agent.query_with(question, options).await {
            Ok(response) => response,
            Err(e) => {
                self.audit(&AuditRecord {
                    question: Some(question),
                    outcome: e.kind(),
                    ..AuditRecord::new("mcp", "mcp_ask", started)
                });
                return Err(e.to_string());
            }
        };
        self.audit(&AuditRecord {
            question: Some(question),
            sql: response.sql.as_deref(),
            tables: &response.tables,
            rows: response.row_count,
            ..AuditRecord::new("mcp", "mcp_ask", started)
        });
        serde_json::to_value(&response).map_err(|e| e.to_string())
    }

    async fn read(&self, uri: &str) -> std::result::Result<ReadResourceResult, McpError> {
        let schema = self.schema_for_protocol().await?;
        let value = if uri == "dbqa://schema" {
            serde_json::to_value(&*schema)
        } else if let Some(name) = uri.strip_prefix("dbqa://schema/") {
            let table = schema.table(name).ok_or_else(|| {
                McpError::resource_not_found(format!("resource not found: {uri}"), None)
            })?;
            serde_json::to_value(table)
        } else {
            return Err(McpError::resource_not_found(
                format!("resource not found: {uri}"),
                None,
            ));
        }
        .map_err(|e| McpError::internal_error(e.to_string(), None))?;
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(value.to_string(), uri).with_mime_type("application/json"),
        ]))
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("dbqa", env!("CARGO_PKG_VERSION")))
        .with_instructions(self.instructions())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, McpError> {
        let args = request.arguments.unwrap_or_default();
        let result = match self.run_tool(&request.name, &args).await? {
            Ok(ToolOutput { value, image }) => {
                let mut result = CallToolResult::structured(value);
                if let Some(png) = image {
                    let data = base64::engine::general_purpose::STANDARD.encode(png);
                    result.content.push(ContentBlock::image(data, "image/png"));
                }
                result
            }
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        };
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourcesResult, McpError> {
        let schema = self.schema_for_protocol().await?;
        let mut resources = vec![
            Resource::new("dbqa://schema", "schema")
                .with_description("Every table with columns, keys and relationships")
                .with_mime_type("application/json"),
        ];
        resources.extend(schema.tables.iter().map(|t| {
            Resource::new(
                format!("dbqa://schema/{}", t.qualified_name()),
                t.qualified_name(),
            )
            .with_mime_type("application/json")
        }));
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("dbqa://schema/{table}", "table")
                .with_description("One table: columns, keys, indexes")
                .with_mime_type("application/json"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ReadResourceResponse, McpError> {
        self.read(&request.uri).await.map(Into::into)
    }
}

/// Serves MCP over any byte streams (one JSON-RPC message per line) until the client
/// closes its end. Requests are answered concurrently: a slow `ask` does not hold up
/// `list_tables`.
pub async fn serve_mcp<R, W>(server: McpServer, reader: R, writer: W) -> Result<()>
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let running = server
        .serve((reader, writer))
        .await
        .map_err(|e| Error::Transport(std::io::Error::other(e)))?;
    running
        .waiting()
        .await
        .map_err(|e| Error::Transport(std::io::Error::other(e)))?;
    Ok(())
}

/// Serves MCP on this process's stdin and stdout (log to stderr only).
pub async fn serve_mcp_stdio(server: McpServer) -> Result<()> {
    serve_mcp(server, tokio::io::stdin(), tokio::io::stdout()).await
}
