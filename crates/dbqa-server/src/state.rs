//! What every handler and middleware shares: the agent, the options, the users, the
//! metrics, the audit log and the concurrency permits. Both the middleware and the API
//! modules import it; it imports neither.

use std::sync::Arc;

use dbqa_agent::DatabaseQueryAgent;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::audit::AuditLog;
use crate::metrics::Metrics;
use crate::options::ServeOptions;
use crate::users::Users;

/// What every handler shares.
pub(crate) struct AppState {
    pub(crate) agent: Arc<DatabaseQueryAgent>,
    pub(crate) options: ServeOptions,
    pub(crate) users: Users,
    pub(crate) metrics: Metrics,
    pub(crate) audit: Option<AuditLog>,
    pub(crate) permits: Arc<Semaphore>,
}

/// The state as handlers receive it.
pub(crate) type Shared = Arc<AppState>;

/// A concurrency-limit slot. The middleware holds one for as long as the handler runs;
/// a stream takes a clone with it, so the slot stays taken until the stream ends.
#[derive(Clone)]
pub(crate) struct Permit(#[allow(dead_code)] pub(crate) Arc<OwnedSemaphorePermit>);
