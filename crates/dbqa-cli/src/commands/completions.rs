//! `dbqa completions`: shell completion scripts.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::failure::Failure;

pub(crate) fn run(args: CompletionsArgs) -> Result<u8, Failure> {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "dbqa",
        &mut std::io::stdout(),
    );
    Ok(0)
}
