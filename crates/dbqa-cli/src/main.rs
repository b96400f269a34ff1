//! The `dbqa` command line: ask a database questions in plain language, inspect its
//! schema, and check SQL against the guard.
//!
//! It owns argument parsing, terminal output and exit codes; it must not hold query
//! logic of its own (that lives in the library crates it calls).
//!
//! Exit codes: 0 success, 1 the question or statement failed (rejected, no answer),
//! 2 usage or configuration error, 3 database or LLM unreachable.

mod agent;
mod cli;
mod commands;
mod database;
mod failure;
mod llm_memory;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

// Parsing SQL and building answers allocate many small objects: mimalloc checks SQL
// about a fifth faster than the system allocator (`cargo xtask bench guard`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(failure::EXIT_UNREACHABLE);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Ask(args) => commands::ask::run(args).await,
            Command::Chat(args) => commands::chat::run(args).await,
            Command::Tables(args) => commands::tables::run(args).await,
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Mcp(args) => commands::mcp::run(args).await,
            Command::Completions(args) => commands::completions::run(args),
            Command::Schema(args) => commands::schema::run(args).await,
            Command::Check(args) => commands::check::run(args),
            Command::Sql(args) => commands::sql::run(args).await,
            Command::Examples(args) => commands::examples::run(args).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(failure) => failure.report(),
    }
}

fn init_tracing(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if verbose { "info,dbqa=debug" } else { "warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}
