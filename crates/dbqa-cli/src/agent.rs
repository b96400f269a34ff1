//! Building the agent for `ask` and `chat`, and mapping its errors to exit codes.

use dbqa_agent::DatabaseQueryAgent;
use dbqa_core::AgentConfig;

use crate::cli::AgentArgs;
use crate::database;
use crate::failure::Failure;

/// What to do when no LLM is configured; shown as is.
pub(crate) const NO_LLM_MESSAGE: &str = "no LLM is configured. Set one of:
  OPENAI_API_KEY=sk-...                      OpenAI
  ANTHROPIC_API_KEY=sk-ant-...               Anthropic
  LLM_PROVIDER=ollama                        a local Ollama (http://localhost:11434)
  LLM_BASE_URL=http://host:port/v1           any OpenAI-compatible server (vLLM, llama.cpp, LM Studio)
in the environment or a .env file. `dbqa schema`, `dbqa tables` and `dbqa check` work without one.";

/// The configuration for `ask`/`chat`: environment, then flags.
pub(crate) fn resolve_config(args: &AgentArgs) -> Result<AgentConfig, Failure> {
    let mut config = database::resolve_config(&args.db)?;
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
    Ok(config)
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
