//! What every question of one agent shares: the configuration, the backends, the guard,
//! the caches, the statistics and the schema as loaded once. Both the public face
//! (`agent.rs`, `builder.rs`) and the query path (`turn.rs` and its stages) import it;
//! it imports neither.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use dbqa_cache::{Caches, keys};
use dbqa_core::{AgentConfig, Database, LlmProvider, Schema, SessionStore};
use dbqa_guard::Guard;
use tokio::sync::Mutex;

use crate::render::SampleValues;
use crate::response::Timings;
use crate::stats::StatsRecorder;
use crate::{Error, Result};

/// The schema as loaded once, with what is derived from it.
#[derive(Debug)]
pub(crate) struct LoadedSchema {
    /// What the table lists let be seen ([`Guard::visible`]): nothing else of the
    /// database is rendered, sampled, described or listed.
    pub(crate) schema: Schema,
    /// The guard every SQL statement of a question passes: the configured one, also
    /// blocking the views that read blocked tables.
    pub(crate) guard: Guard,
    pub(crate) fingerprint: String,
    /// Sample values per table, filled lazily as tables are rendered.
    pub(crate) samples: Mutex<SampleValues>,
    /// When it was read, for the schema TTL.
    pub(crate) loaded_at: Instant,
}

/// The agent's shared state.
pub(crate) struct Inner {
    pub(crate) config: AgentConfig,
    pub(crate) db: Arc<dyn Database>,
    pub(crate) llm: Arc<dyn LlmProvider>,
    pub(crate) guard: Guard,
    pub(crate) caches: Caches,
    pub(crate) sessions: Arc<dyn SessionStore>,
    pub(crate) stats: StatsRecorder,
    pub(crate) schema: Mutex<Option<Arc<LoadedSchema>>>,
    pub(crate) closed: AtomicBool,
}

/// Milliseconds since `since`.
pub(crate) fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl Inner {
    /// Fails with [`Error::Closed`] once the agent was closed.
    pub(crate) fn ensure_open(&self) -> Result<()> {
        if self.closed.load(Ordering::SeqCst) {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// The schema, loaded once and reloaded after the schema TTL.
    pub(crate) async fn load_schema(&self, timings: &mut Timings) -> Result<Arc<LoadedSchema>> {
        let started = Instant::now();
        let mut slot = self.schema.lock().await;
        let ttl = self.config.cache.schema_ttl;
        if let Some(loaded) = slot.as_ref()
            && (ttl.is_zero() || loaded.loaded_at.elapsed() < ttl)
        {
            timings.schema_ms += ms(started);
            return Ok(Arc::clone(loaded));
        }
        let key = keys::schema_key(self.db.identity());
        let (full, from_cache) = match self.caches.schema().get::<Schema>(&key).await {
            Some(schema) => (schema, true),
            None => {
                let schema = self.db.extract_schema().await?;
                self.caches.schema().set(&key, &schema).await;
                (schema, false)
            }
        };
        let (schema, guard) = self.guard.visible(&full);
        self.stats.schema_load(from_cache, schema.tables.len());
        let loaded = Arc::new(LoadedSchema {
            fingerprint: schema.fingerprint(),
            schema,
            guard,
            samples: Mutex::new(SampleValues::new()),
            loaded_at: Instant::now(),
        });
        *slot = Some(Arc::clone(&loaded));
        timings.schema_ms += ms(started);
        Ok(loaded)
    }
}
