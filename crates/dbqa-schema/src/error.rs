//! The crate's error type.

use std::path::PathBuf;

use dbqa_core::DatabaseError;

/// Everything that can go wrong opening a database, extracting its schema or writing the
/// demo database.
///
/// Connector failures after opening are [`DatabaseError`]s (the `Database` trait's error);
/// they convert into [`Error::Database`] with `?`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No database URL was given.
    #[error("no database url is configured: set DATABASE_URL (or pass --db)")]
    MissingUrl,
    /// A `sqlite:` URL names a file that does not exist (read-only connectors never create one).
    #[error(
        "sqlite database file `{}` does not exist: check the path, or add `?mode=rwc` to the url to create it",
        path.display()
    )]
    FileNotFound {
        /// The path the URL resolved to.
        path: PathBuf,
    },
    /// A connector failed.
    #[error(transparent)]
    Database(#[from] DatabaseError),
    /// The demo database could not be written.
    #[error("cannot write the demo database `{}`: {message}", path.display())]
    Demo {
        /// The target file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

impl Error {
    /// Whether trying again later may succeed (network trouble, pool pressure).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Database(e) => e.is_retryable(),
            Error::MissingUrl | Error::FileNotFound { .. } | Error::Demo { .. } => false,
        }
    }
}

impl From<Error> for DatabaseError {
    /// Folds a crate error into the trait's error kinds, for callers that hold only a
    /// `DatabaseError`.
    fn from(error: Error) -> Self {
        match error {
            Error::Database(e) => e,
            Error::MissingUrl => DatabaseError::InvalidUrl {
                message: String::from("no database url is configured"),
            },
            Error::FileNotFound { path } => DatabaseError::UnknownDatabase {
                target: String::from("sqlite"),
                name: path.display().to_string(),
            },
            other @ Error::Demo { .. } => DatabaseError::Query {
                message: other.to_string(),
                code: None,
            },
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
