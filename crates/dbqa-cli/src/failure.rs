//! Failures and the exit codes they map to.

use std::process::ExitCode;

/// The question or statement failed (rejected SQL, no answer).
pub(crate) const EXIT_FAILED: u8 = 1;
/// Bad arguments or configuration.
pub(crate) const EXIT_USAGE: u8 = 2;
/// The database or the LLM could not be reached.
pub(crate) const EXIT_UNREACHABLE: u8 = 3;

/// A command's failure: a message for stderr and the exit code it deserves.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    pub(crate) fn usage(message: impl std::fmt::Display) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }

    pub(crate) fn unreachable(message: impl std::fmt::Display) -> Self {
        Self {
            code: EXIT_UNREACHABLE,
            message: message.to_string(),
        }
    }

    pub(crate) fn failed(message: impl std::fmt::Display) -> Self {
        Self {
            code: EXIT_FAILED,
            message: message.to_string(),
        }
    }

    /// The message, for printing without exiting.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// Prints the message and returns the exit code.
    pub(crate) fn report(self) -> ExitCode {
        eprintln!("error: {}", self.message);
        ExitCode::from(self.code)
    }
}

impl From<dbqa_core::ConfigError> for Failure {
    fn from(err: dbqa_core::ConfigError) -> Self {
        Failure::usage(err)
    }
}

/// Maps a database error: a bad URL or missing feature exits 2, an unreachable server 3,
/// a failing query 1.
pub(crate) fn from_database(err: dbqa_core::DatabaseError) -> Failure {
    use dbqa_core::DatabaseError as E;
    match err {
        E::InvalidUrl { .. } | E::FeatureDisabled { .. } => Failure::usage(err),
        _ if err.is_unreachable() => Failure::unreachable(err),
        _ => Failure::failed(err),
    }
}
