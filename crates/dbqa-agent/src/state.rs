//! What every question of one agent shares: the configuration, the backends, the guard,
//! the caches, the statistics and the schema as loaded once. Both the public face
//! (`agent.rs`, `builder.rs`) and the query path (`turn.rs` and its stages) import it;
//! it imports neither.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use dbqa_cache::{Caches, keys};
use dbqa_core::{
    AgentConfig, Database, ExampleStore, LlmProvider, ProviderKind, Schema, SessionStore, ToolMode,
    VerifiedExample,
};
use dbqa_guard::Guard;
use tokio::sync::Mutex;

use std::collections::BTreeMap;

use dbqa_core::{ExecuteOptions, Rows};
use tokio::sync::OnceCell;

use crate::glossary::Glossary;
use crate::prompt::PromptOptions;
use crate::render::{SampleValues, SchemaFormat};
use crate::response::Timings;
use crate::selection::SchemaTerms;
use crate::stats::StatsRecorder;
use crate::values::ValueIndex;
use crate::{Error, Result};

/// Example rows per table shown in `CREATE TABLE` form.
const EXAMPLE_ROWS: usize = 3;

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
    /// What is read from the data once per schema load, on the first question.
    pub(crate) knowledge: OnceCell<Knowledge>,
    /// When it was read, for the schema TTL.
    pub(crate) loaded_at: Instant,
}

/// What the agent knows of the data beyond the schema: the terms of every name, the
/// values of text columns, and (in `CREATE TABLE` form) a few example rows per table.
/// Empty of values in privacy mode.
#[derive(Debug, Default)]
pub(crate) struct Knowledge {
    pub(crate) terms: Option<SchemaTerms>,
    pub(crate) values: ValueIndex,
    pub(crate) samples: SampleValues,
    /// Example rows by lower-case table name.
    pub(crate) examples: BTreeMap<String, Rows>,
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
    /// `SCHEMA_GLOSSARY`, read at build.
    pub(crate) glossary: Glossary,
    /// Which rules the system prompt states.
    pub(crate) prompt: PromptOptions,
    /// How tables are shown to the model.
    pub(crate) format: SchemaFormat,
    /// `LLM_TOOL_MODE=auto` found that the server answers tools with text: later
    /// questions use `text` mode.
    pub(crate) tools_unsupported: AtomicBool,
    /// The server has made a native tool call: its plain replies are genuine.
    pub(crate) native_tools_seen: AtomicBool,
    /// Verified examples confirmed by people, per database.
    pub(crate) examples: Arc<dyn ExampleStore>,
    /// `EXAMPLES_FILE`, read at build.
    pub(crate) file_examples: Vec<VerifiedExample>,
    /// Ids of the file's examples that stopped working (the file is not rewritten).
    pub(crate) dropped_file_ids: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The one model a local server serves, asked once ([`Inner::served_model`]).
    pub(crate) served_model: OnceCell<Option<String>>,
}

/// Milliseconds since `since`.
pub(crate) fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

impl Inner {
    /// The model to ask for when the configuration names none and the provider is a
    /// local server (OpenAI-compatible or Ollama) that serves exactly one: its name, so
    /// that responses report the model that answered and Ollama finds it. Asked once;
    /// `None` (the provider's default name) when the server cannot say.
    pub(crate) async fn served_model(&self) -> Option<&str> {
        let model = &self.config.model;
        let configured = model.fast_model.is_some()
            || model.balanced_model.is_some()
            || model.complex_model.is_some();
        let local = matches!(
            model.provider,
            Some(ProviderKind::OpenAiCompatible | ProviderKind::Ollama)
        );
        if configured || !local {
            return None;
        }
        self.served_model
            .get_or_init(|| async {
                match self.llm.served_models().await {
                    Ok(models) if models.len() == 1 => models.into_iter().next(),
                    Ok(_) => None,
                    Err(e) => {
                        tracing::debug!(error = %e, "the LLM server does not list its models");
                        None
                    }
                }
            })
            .await
            .as_deref()
    }

    /// The tool mode to use now: the configured one, or `text` once `auto` found that the
    /// server does not make tool calls.
    pub(crate) fn tool_mode(&self) -> ToolMode {
        let configured = self.config.model.tool_mode;
        if configured == ToolMode::Auto && self.tools_unsupported.load(Ordering::Relaxed) {
            ToolMode::Text
        } else {
            configured
        }
    }

    /// The ids of the file's examples dropped so far.
    pub(crate) fn dropped_file_examples(&self) -> std::collections::HashSet<String> {
        self.dropped_file_ids
            .lock()
            .map(|ids| ids.clone())
            .unwrap_or_default()
    }

    /// Skips a file example from now on.
    pub(crate) fn drop_file_example(&self, id: &str) {
        if let Ok(mut ids) = self.dropped_file_ids.lock() {
            ids.insert(id.to_string());
        }
    }

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
            knowledge: OnceCell::new(),
            loaded_at: Instant::now(),
        });
        *slot = Some(Arc::clone(&loaded));
        timings.schema_ms += ms(started);
        Ok(loaded)
    }

    /// What is read from the data for `loaded`, once (concurrent first questions wait for
    /// the same read).
    pub(crate) async fn knowledge<'a>(&self, loaded: &'a LoadedSchema) -> &'a Knowledge {
        loaded
            .knowledge
            .get_or_init(|| async {
                let terms = Some(SchemaTerms::new(&loaded.schema));
                if !self.config.safety.send_rows_to_llm {
                    return Knowledge {
                        terms,
                        ..Knowledge::default()
                    };
                }
                let values =
                    ValueIndex::load(self.db.as_ref(), &loaded.guard, &loaded.schema).await;
                let examples = match self.format {
                    SchemaFormat::CreateTable => self.example_rows(loaded).await,
                    _ => BTreeMap::new(),
                };
                Knowledge {
                    terms,
                    samples: values.samples(),
                    values,
                    examples,
                }
            })
            .await
    }

    /// A few rows of every table, each query through the schema's guard.
    async fn example_rows(&self, loaded: &LoadedSchema) -> BTreeMap<String, Rows> {
        let dialect = self.db.dialect();
        let mut out = BTreeMap::new();
        for table in &loaded.schema.tables {
            let name = match &table.schema {
                Some(s) => format!(
                    "{}.{}",
                    dialect.quote_identifier(s),
                    dialect.quote_identifier(&table.name)
                ),
                None => dialect.quote_identifier(&table.name),
            };
            let sql = if dialect.supports_top() {
                format!("SELECT TOP {EXAMPLE_ROWS} * FROM {name}")
            } else {
                format!("SELECT * FROM {name} LIMIT {EXAMPLE_ROWS}")
            };
            let Ok(accepted) = loaded.guard.check(&sql) else {
                continue;
            };
            let options =
                ExecuteOptions::read_only(std::time::Duration::from_secs(2), EXAMPLE_ROWS)
                    .with_max_bytes(64 * 1024);
            if let Ok(rows) = self.db.execute(&accepted.sql, &options).await {
                out.insert(table.name.to_lowercase(), rows);
            }
        }
        out
    }
}
