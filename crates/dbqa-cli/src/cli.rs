//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Ask your SQL database questions in plain language — safely.
#[derive(Debug, Parser)]
#[command(name = "dbqa", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Log what happens (same as RUST_LOG=info,dbqa=debug).
    #[arg(long, short, global = true)]
    pub(crate) verbose: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Answer one question about the database.
    Ask(AskArgs),
    /// Chat with the database: follow-up questions keep their context.
    Chat(ChatArgs),
    /// Show which tables the model would see for a question, with scores and prompt size.
    Tables(TablesArgs),
    /// Serve the HTTP API, server-sent events and the web chat page.
    Serve(ServeArgs),
    /// Serve the Model Context Protocol over stdio, for AI assistants.
    Mcp(McpArgs),
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print the database schema as text or JSON.
    Schema(SchemaArgs),
    /// Check SQL against the guard: exit 0 accepted, 1 rejected, 2 usage error.
    Check(CheckArgs),
    /// Run SQL you wrote through the same guard, limits and read-only transaction as a
    /// question's SQL (no LLM needed).
    Sql(SqlArgs),
    /// Manage verified examples: questions with SQL you confirm, reused and shown to the
    /// model.
    Examples(ExamplesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExamplesArgs {
    #[command(subcommand)]
    pub(crate) action: ExamplesAction,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExamplesAction {
    /// Confirm SQL as the answer to a question (it must pass the guard and run).
    Add {
        /// The question.
        question: String,
        /// The SQL that answers it.
        sql: String,
    },
    /// List the database's verified examples.
    List,
    /// Remove a verified example by id.
    Remove {
        /// The example's id (from `list`).
        id: String,
    },
}

/// Where the database is.
#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// Database URL (default: DATABASE_URL, else the built-in demo shop database).
    #[arg(long, value_name = "URL")]
    pub(crate) db: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Only these tables (default: all).
    #[arg(value_name = "TABLE")]
    pub(crate) tables: Vec<String>,
}

/// SQL dialects, as flags.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DialectArg {
    Sqlite,
    Postgres,
    Mysql,
    Mssql,
}

impl From<DialectArg> for dbqa_core::Dialect {
    fn from(arg: DialectArg) -> Self {
        match arg {
            DialectArg::Sqlite => dbqa_core::Dialect::Sqlite,
            DialectArg::Postgres => dbqa_core::Dialect::Postgres,
            DialectArg::Mysql => dbqa_core::Dialect::MySql,
            DialectArg::Mssql => dbqa_core::Dialect::MsSql,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// SQL dialect to parse with.
    #[arg(long, value_enum, default_value = "sqlite")]
    pub(crate) dialect: DialectArg,
    /// Only these tables may be read (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "TABLES")]
    pub(crate) allow_tables: Vec<String>,
    /// These tables may never be read (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "TABLES")]
    pub(crate) block_tables: Vec<String>,
    /// Functions accepted beyond the dialect's analyst functions (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FUNCTIONS")]
    pub(crate) allow_functions: Vec<String>,
    /// The schema (MySQL: database) unqualified names resolve to (default: public, dbo,
    /// main; MySQL: unknown, so any qualified name counts as another database).
    #[arg(long, value_name = "SCHEMA")]
    pub(crate) default_schema: Option<String>,
    /// Cap the rows a statement may return (rewrites LIMIT/TOP).
    #[arg(long, value_name = "N")]
    pub(crate) max_rows: Option<u64>,
    /// Allow statements that write (off by default).
    #[arg(long)]
    pub(crate) read_write: bool,
    /// Print the verdict as JSON.
    #[arg(long, conflicts_with = "jsonl")]
    pub(crate) json: bool,
    /// Check one statement per input line (`{"sql": ...}` objects) and print one JSON verdict per line.
    #[arg(long)]
    pub(crate) jsonl: bool,
    /// The SQL to check (default: read from stdin).
    #[arg(value_name = "SQL")]
    pub(crate) sql: Option<String>,
    /// Read the SQL from this file instead.
    #[arg(long, value_name = "FILE", conflicts_with = "sql")]
    pub(crate) file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SqlArgs {
    /// One read-only statement (default: read from stdin).
    #[arg(value_name = "SQL")]
    pub(crate) sql: Option<String>,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// The question the SQL answers; with --session it is recorded with the SQL, so
    /// follow-up questions build on it.
    #[arg(long, value_name = "TEXT")]
    pub(crate) question: Option<String>,
    /// Record the exchange in this chat session.
    #[arg(long, value_name = "ID")]
    pub(crate) session: Option<String>,
    /// Output format (default: table on a terminal, json when piped).
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
}

/// Output formats of `ask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// The answer, then the rows as an aligned table.
    Table,
    /// The full response as JSON (the default when stdout is not a terminal).
    Json,
    /// The rows as CSV.
    Csv,
    /// The answer and the rows as a Markdown table.
    Markdown,
}

/// Settings `ask` and `chat` share.
#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Use this model for every question (overrides FAST/BALANCED/COMPLEX_MODEL).
    #[arg(long, value_name = "MODEL")]
    pub(crate) model: Option<String>,
    /// Allow statements that write (READ_ONLY=false). SQLite URLs also need `?mode=rw`.
    #[arg(long)]
    pub(crate) read_write: bool,
}

#[derive(Debug, Args)]
pub(crate) struct AskArgs {
    /// The question, in plain language.
    pub(crate) question: String,
    #[command(flatten)]
    pub(crate) agent: AgentArgs,
    /// Output format (default: table on a terminal, json when piped).
    #[arg(long, value_enum)]
    pub(crate) format: Option<Format>,
    /// Show the SQL that answered the question.
    #[arg(long)]
    pub(crate) show_sql: bool,
    /// Continue (or start) this chat session, so follow-up questions keep context.
    #[arg(long, value_name = "ID")]
    pub(crate) session: Option<String>,
    /// Wait for the whole answer instead of streaming it.
    #[arg(long)]
    pub(crate) no_stream: bool,
    /// Draw the result's chart into this file (.svg or .png), when one fits.
    #[arg(long, value_name = "FILE")]
    pub(crate) chart: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ChatArgs {
    #[command(flatten)]
    pub(crate) agent: AgentArgs,
    /// Session id to continue (default: a new one).
    #[arg(long, value_name = "ID")]
    pub(crate) session: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TablesArgs {
    /// The question to select tables for.
    pub(crate) question: String,
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Tables to describe at most (default: MAX_TABLES_IN_CONTEXT).
    #[arg(long, value_name = "N")]
    pub(crate) max_tables: Option<usize>,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) agent: AgentArgs,
    /// Address to listen on.
    #[arg(long, env = "DBQA_BIND", default_value = "127.0.0.1:8080")]
    pub(crate) bind: std::net::SocketAddr,
    /// Origins allowed by CORS (comma-separated; default: CORS off).
    #[arg(long = "cors-origin", value_delimiter = ',', value_name = "ORIGIN")]
    pub(crate) cors_origins: Vec<String>,
    /// Per-request timeout in seconds (default: DBQA_REQUEST_TIMEOUT or 120).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) request_timeout: Option<u64>,
    /// Requests answered at once; more wait (default: DBQA_MAX_CONCURRENT_REQUESTS or 64).
    #[arg(long, value_name = "N")]
    pub(crate) max_concurrent: Option<usize>,
    /// Largest request body in bytes (default: DBQA_MAX_BODY_BYTES or 65536).
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_body_bytes: Option<usize>,
}

#[derive(Debug, Args)]
pub(crate) struct McpArgs {
    #[command(flatten)]
    pub(crate) db: DbArgs,
    /// Allow statements that write through `run_query` (off by default).
    #[arg(long)]
    pub(crate) read_write: bool,
}
