//! Building the agent for `ask` and `chat`, and mapping its errors to exit codes.

use dbqa_agent::DatabaseQueryAgent;
use dbqa_core::{AgentConfig, Environment, ProviderKind, ToolMode};

use crate::cli::AgentArgs;
use crate::database;
use crate::failure::Failure;
use crate::llm_memory::LlmMemory;

/// What to do when no LLM is configured; shown as is.
pub(crate) const NO_LLM_MESSAGE: &str = "no LLM is configured. Set one of:
  OPENAI_API_KEY=sk-...                      OpenAI
  ANTHROPIC_API_KEY=sk-ant-...               Anthropic
  LLM_PROVIDER=ollama                        a local Ollama (http://localhost:11434)
  LLM_BASE_URL=http://host:port/v1           any OpenAI-compatible server (vLLM, llama.cpp, LM Studio)
in the environment or a .env file. `dbqa schema`, `dbqa tables` and `dbqa check` work without one.";

/// The configuration for `ask`/`chat`: environment, then flags.
pub(crate) fn resolve_config(args: &AgentArgs) -> Result<AgentConfig, Failure> {
    let env = Environment::from_process()?;
    let mut config = database::resolve_config_in(&env, &args.db)?;
    if let Some(model) = &args.model {
        config.model.fast_model = Some(model.clone());
        config.model.balanced_model = Some(model.clone());
        config.model.complex_model = Some(model.clone());
    }
    if args.read_write {
        config.safety.read_only = false;
    }
    if config.model.provider.is_none() {
        return Err(Failure::usage(NO_LLM_MESSAGE));
    }
    // `auto` found in an earlier run that this server answers tools in text: start there.
    let tool_mode_set = env.get("LLM_TOOL_MODE").is_some();
    if let Some(memory) = memory().filter(|_| !tool_mode_set)
        && let Some(mode) = memory.tool_mode(&config.model)
    {
        config.model.tool_mode = mode;
    }
    Ok(config)
}

/// After the questions of a run: when `auto` found that the server answers tools in
/// text and SQL then ran (`ran_sql`), the next run starts in `text` mode
/// ([`crate::llm_memory`]). A greeting answered in words proves nothing, and the hosted
/// APIs (OpenAI, Anthropic) always make tool calls: neither is remembered.
pub(crate) fn remember_tool_mode(agent: &DatabaseQueryAgent, ran_sql: bool) {
    let model = &agent.config().model;
    let in_use = agent.tool_mode_in_use();
    let self_hosted = matches!(
        model.provider,
        Some(ProviderKind::OpenAiCompatible | ProviderKind::Ollama)
    );
    if ran_sql
        && self_hosted
        && model.tool_mode == ToolMode::Auto
        && in_use != ToolMode::Auto
        && let Some(memory) = memory()
    {
        memory.remember(model, in_use);
    }
}

fn memory() -> Option<LlmMemory> {
    database::data_dir().map(|dir| LlmMemory::in_dir(&dir))
}

/// Connects and builds the agent.
pub(crate) async fn build(config: AgentConfig) -> Result<DatabaseQueryAgent, Failure> {
    DatabaseQueryAgent::builder()
        .config(config)
        .build()
        .await
        .map_err(from_agent)
}

/// Exit code 3 when the LLM or database cannot be reached, 2 for configuration, else 1.
pub(crate) fn from_agent(err: dbqa_agent::Error) -> Failure {
    if err.is_llm_unavailable() || err.is_database_unavailable() {
        Failure::unreachable(err)
    } else if matches!(
        err,
        dbqa_agent::Error::Config(_) | dbqa_agent::Error::Build(_)
    ) {
        Failure::usage(err)
    } else {
        Failure::failed(err)
    }
}
