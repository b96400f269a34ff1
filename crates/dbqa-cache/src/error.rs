//! The crate's error type.

use dbqa_core::StoreError;

/// An error building or using a cache or session store.
///
/// Cache reads and writes through [`Caches`](crate::Caches) never return it: a cache
/// that fails degrades into a miss. It reaches callers only when a store is built (a
/// file cannot be opened, a backend is not compiled in) and from session stores.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A store failed an operation.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configured backend is not compiled into this build.
    #[error(
        "the {backend} backend is not compiled in: enable the `{feature}` feature of dbqa-cache"
    )]
    FeatureDisabled {
        /// The backend asked for (`sqlite`, `redis`).
        backend: &'static str,
        /// The cargo feature that provides it.
        feature: &'static str,
    },
    /// A setting cannot be used to build a store.
    #[error("invalid cache setting {setting}: {reason}")]
    InvalidConfig {
        /// The setting (environment variable) name.
        setting: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Builds a [`StoreError::Backend`].
pub(crate) fn backend_error(backend: &str, message: impl std::fmt::Display) -> StoreError {
    StoreError::Backend {
        backend: backend.to_string(),
        message: message.to_string(),
    }
}

/// Builds a [`StoreError::Unavailable`].
#[cfg(any(feature = "sqlite", feature = "redis"))]
pub(crate) fn unavailable(backend: &str, message: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable {
        backend: backend.to_string(),
        message: message.to_string(),
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before 1970).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
