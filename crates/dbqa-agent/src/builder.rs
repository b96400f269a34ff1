//! [`AgentBuilder`]: assembles an agent from explicit pieces over the configuration.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use dbqa_cache::Caches;
use dbqa_core::{
    AgentConfig, AnswerMode, CacheConfig, CacheStore, Database, DatabaseConfig, ExampleStore,
    LlmProvider, ModelConfig, SafetyConfig, SecretUrl, SessionStore,
};
use dbqa_guard::{Guard, GuardConfig};
use tokio::sync::Mutex;

use crate::agent::DatabaseQueryAgent;
use crate::glossary::Glossary;
use crate::prompt::PromptOptions;
use crate::render::SchemaFormat;
use crate::state::Inner;
use crate::stats::StatsRecorder;
use crate::{Error, Result};

/// Builds a [`DatabaseQueryAgent`]. Explicit pieces win over the configuration, which
/// starts from the defaults ([`new`](Self::new)) or from the environment and `.env`
/// ([`from_env`](Self::from_env)); nothing else reads the environment.
///
/// ```no_run
/// # async fn run(llm: std::sync::Arc<dyn dbqa_core::LlmProvider>) -> dbqa_agent::Result<()> {
/// use dbqa_agent::AgentBuilder;
/// let agent = AgentBuilder::new()
///     .database_url("sqlite://shop.db")
///     .llm(llm)
///     .blocked_tables(["employees"])
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
pub struct AgentBuilder {
    config: AgentConfig,
    database: Option<Arc<dyn Database>>,
    database_url: Option<String>,
    llm: Option<Arc<dyn LlmProvider>>,
    model: Option<ModelConfig>,
    cache: Option<CacheConfig>,
    safety: Option<SafetyConfig>,
    cache_store: Option<Arc<dyn CacheStore>>,
    session_store: Option<Arc<dyn SessionStore>>,
    example_store: Option<Arc<dyn ExampleStore>>,
    allowed_tables: Option<Vec<String>>,
    blocked_tables: Option<Vec<String>>,
    answer_mode: Option<AnswerMode>,
    max_tables_in_context: Option<usize>,
    warmup_on_init: Option<bool>,
    glossary: Option<Glossary>,
    prompt: PromptOptions,
    format: SchemaFormat,
}

impl std::fmt::Debug for AgentBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentBuilder")
            .field(
                "database_url",
                &self.database_url.as_deref().map(dbqa_core::redact_url),
            )
            .finish_non_exhaustive()
    }
}

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

impl Default for AgentBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl AgentBuilder {
    /// A builder over the default configuration ([`AgentConfig::defaults`]); the
    /// environment is not read.
    pub fn new() -> Self {
        Self::with_config(AgentConfig::defaults())
    }

    /// A builder over the configuration the environment (and a `.env` file) describes.
    pub fn from_env() -> Result<Self> {
        Ok(Self::with_config(AgentConfig::from_env()?))
    }

    fn with_config(config: AgentConfig) -> Self {
        Self {
            config,
            database: None,
            database_url: None,
            llm: None,
            model: None,
            cache: None,
            safety: None,
            cache_store: None,
            session_store: None,
            example_store: None,
            allowed_tables: None,
            blocked_tables: None,
            answer_mode: None,
            max_tables_in_context: None,
            warmup_on_init: None,
            glossary: None,
            prompt: PromptOptions::default(),
            format: SchemaFormat::default(),
        }
    }

    /// The whole configuration, replacing the one the builder started from.
    pub fn config(mut self, config: AgentConfig) -> Self {
        self.config = config;
        self
    }

    /// A database connector to use as is.
    pub fn database(mut self, database: Arc<dyn Database>) -> Self {
        self.database = Some(database);
        self
    }

    /// The database to connect to (`sqlite://…`, `postgres://…`, `mysql://…`, `mssql://…`).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// The LLM provider to use as is.
    pub fn llm(mut self, llm: Arc<dyn LlmProvider>) -> Self {
        self.llm = Some(llm);
        self
    }

    /// No LLM at all: for an agent that only runs SQL a person wrote
    /// ([`DatabaseQueryAgent::run_sql`]); questions fail saying how to configure one.
    pub fn without_llm(self) -> Self {
        self.llm(Arc::new(dbqa_llm::NoLlm))
    }

    /// Model settings (provider, models, tool mode, …).
    pub fn model_config(mut self, model: ModelConfig) -> Self {
        self.model = Some(model);
        self
    }

    /// Cache settings.
    pub fn cache_config(mut self, cache: CacheConfig) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Safety settings.
    pub fn safety(mut self, safety: SafetyConfig) -> Self {
        self.safety = Some(safety);
        self
    }

    /// A cache store to use as is for all three levels.
    pub fn cache_store(mut self, store: Arc<dyn CacheStore>) -> Self {
        self.cache_store = Some(store);
        self
    }

    /// A session store to use as is.
    pub fn session_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.session_store = Some(store);
        self
    }

    /// Only these tables may be read.
    pub fn allowed_tables<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tables: I) -> Self {
        self.allowed_tables = Some(strings(tables));
        self
    }

    /// These tables may never be read.
    pub fn blocked_tables<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tables: I) -> Self {
        self.blocked_tables = Some(strings(tables));
        self
    }

    /// How answers are written.
    pub fn answer_mode(mut self, mode: AnswerMode) -> Self {
        self.answer_mode = Some(mode);
        self
    }

    /// Tables described in full in the prompt.
    pub fn max_tables_in_context(mut self, max: usize) -> Self {
        self.max_tables_in_context = Some(max.max(1));
        self
    }

    /// Where verified examples are kept (default: beside the sessions, as
    /// `SESSION_BACKEND` says; in memory when the session store was given with
    /// [`session_store`](Self::session_store) and this was not).
    pub fn example_store(mut self, store: Arc<dyn ExampleStore>) -> Self {
        self.example_store = Some(store);
        self
    }

    /// Business terms for selection and the prompt (over `SCHEMA_GLOSSARY`).
    pub fn glossary(mut self, glossary: Glossary) -> Self {
        self.glossary = Some(glossary);
        self
    }

    /// Which rules the system prompt states (all by default).
    pub fn prompt_options(mut self, options: PromptOptions) -> Self {
        self.prompt = options;
        self
    }

    /// How tables are shown to the model (compact lines by default).
    pub fn schema_format(mut self, format: SchemaFormat) -> Self {
        self.format = format;
        self
    }

    /// Load the schema while building.
    pub fn warmup_on_init(mut self, warmup: bool) -> Self {
        self.warmup_on_init = Some(warmup);
        self
    }

    /// Connects, checks the database answers, and builds the agent.
    pub async fn build(mut self) -> Result<DatabaseQueryAgent> {
        let config = self.merged_config();
        let db = match self.database.take() {
            Some(db) => db,
            None => connect(&config.database).await?,
        };
        db.ping().await.map_err(Error::DatabaseUnavailable)?;
        let llm = match self.llm.take() {
            Some(llm) => llm,
            None => crate::llm::provider_from_config(&config.model)?,
        };
        let caches = match self.cache_store.take() {
            Some(store) if config.cache.enabled => Caches::new(store, &config.cache),
            Some(_) => Caches::disabled(),
            None => Caches::from_config(&config.cache)
                .await
                .map_err(|e| Error::Build(e.to_string()))?,
        };
        // A session store given ready-made means the configuration's backend is not
        // the one in use: examples then stay in memory unless a store is given for them,
        // rather than opening a file nobody asked for.
        let sessions_given = self.session_store.is_some();
        let sessions = match self.session_store.take() {
            Some(store) => store,
            None => dbqa_cache::session_store_from_config(&config)
                .await
                .map_err(|e| Error::Build(e.to_string()))?,
        };
        let glossary = match (self.glossary.take(), &config.schema_glossary) {
            (Some(glossary), _) => glossary,
            (None, Some(path)) => Glossary::load(path).map_err(|e| Error::Build(e.to_string()))?,
            (None, None) => Glossary::default(),
        };
        let examples = match self.example_store.take() {
            Some(store) => store,
            None if sessions_given => Arc::new(dbqa_cache::MemoryExampleStore::new()),
            None => dbqa_cache::example_store_from_config(&config)
                .await
                .map_err(|e| Error::Build(e.to_string()))?,
        };
        let file_examples = match &config.examples_file {
            Some(path) => {
                crate::examples::load_file(path).map_err(|e| Error::Build(e.to_string()))?
            }
            None => Vec::new(),
        };
        let guard = Guard::new(GuardConfig::for_database(db.as_ref(), &config.safety));
        let warmup = config.warmup_on_init;
        let agent = DatabaseQueryAgent {
            inner: Arc::new(Inner {
                config,
                db,
                llm,
                guard,
                caches,
                sessions,
                stats: StatsRecorder::default(),
                schema: Mutex::new(None),
                closed: AtomicBool::new(false),
                glossary,
                prompt: self.prompt,
                format: self.format,
                tools_unsupported: AtomicBool::new(false),
                native_tools_seen: AtomicBool::new(false),
                examples,
                file_examples,
                served_model: tokio::sync::OnceCell::new(),
                dropped_file_ids: Default::default(),
            }),
        };
        if warmup {
            agent.schema().await?;
        }
        Ok(agent)
    }

    /// The configuration with every setter applied over it.
    fn merged_config(&mut self) -> AgentConfig {
        let mut config = std::mem::replace(&mut self.config, AgentConfig::defaults());
        if let Some(model) = self.model.take() {
            config.model = model;
        }
        if let Some(cache) = self.cache.take() {
            config.cache = cache;
        }
        if let Some(safety) = self.safety.take() {
            config.safety = safety;
        }
        if let Some(tables) = self.allowed_tables.take() {
            config.safety.allowed_tables = tables;
        }
        if let Some(tables) = self.blocked_tables.take() {
            config.safety.blocked_tables = tables;
        }
        if let Some(mode) = self.answer_mode {
            config.answer_mode = mode;
        }
        if let Some(max) = self.max_tables_in_context {
            config.max_tables_in_context = max;
        }
        if let Some(warmup) = self.warmup_on_init {
            config.warmup_on_init = warmup;
        }
        if let Some(url) = self.database_url.take() {
            config.database.url = Some(SecretUrl::new(url));
        }
        config
    }
}

async fn connect(config: &DatabaseConfig) -> Result<Arc<dyn Database>> {
    if config.url.is_none() {
        return Err(Error::Build(
            "no database: set DATABASE_URL or call .database_url() or .database()".into(),
        ));
    }
    dbqa_schema::connect(config).await.map_err(|e| match e {
        dbqa_schema::Error::Database(db) => Error::from(db),
        other => Error::DatabaseUnavailable(other.into()),
    })
}
