//! [`ModelConfig`]: which LLM to call and how (`LLM_*`, `*_MODEL`, `MODEL_*`).

use std::time::Duration;

use secrecy::SecretString;

use super::kinds::{ModelStrategy, ProviderKind, ToolMode};
use crate::{ConfigError, Environment, SecretUrl};

/// Which LLM to call and how.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// `LLM_PROVIDER`; when unset, inferred: an OpenAI key means `openai`, an Anthropic key
    /// `anthropic`, a base URL alone `openai-compatible`.
    pub provider: Option<ProviderKind>,
    /// `LLM_BASE_URL` (or `OPENAI_BASE_URL`): the API root, for compatible servers
    /// (printed without any password it holds).
    pub base_url: Option<SecretUrl>,
    /// `OPENAI_API_KEY`.
    pub openai_api_key: Option<SecretString>,
    /// `ANTHROPIC_API_KEY`.
    pub anthropic_api_key: Option<SecretString>,
    /// `MODEL_STRATEGY` (adaptive).
    pub strategy: ModelStrategy,
    /// `FAST_MODEL`: for simple lookups and counts (provider default when unset).
    pub fast_model: Option<String>,
    /// `BALANCED_MODEL`: the everyday model (provider default when unset).
    pub balanced_model: Option<String>,
    /// `COMPLEX_MODEL`: for joins, comparisons and grouped aggregates (provider default when unset).
    pub complex_model: Option<String>,
    /// `MODEL_TEMPERATURE` (0.0).
    pub temperature: f32,
    /// `MODEL_MAX_TOKENS` (1024).
    pub max_tokens: u32,
    /// `LLM_TOOL_MODE` (auto).
    pub tool_mode: ToolMode,
    /// `LLM_TIMEOUT` (60 s): per-request timeout.
    pub request_timeout: Duration,
    /// `LLM_MAX_RETRIES` (3): retries on 429, 5xx and connection errors.
    pub max_retries: u32,
}

/// The three model tiers adaptive routing chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelTier {
    /// Simple counts and lookups.
    Fast,
    /// Everything in between.
    Balanced,
    /// Joins, comparisons, time ranges, grouped aggregates.
    Complex,
}

impl ModelConfig {
    /// Environment over defaults.
    pub fn from_env(env: &Environment) -> Result<Self, ConfigError> {
        let openai_api_key = env.secret("OPENAI_API_KEY");
        let anthropic_api_key = env.secret("ANTHROPIC_API_KEY");
        let base_url = env
            .secret_url("LLM_BASE_URL")
            .or_else(|| env.secret_url("OPENAI_BASE_URL"));
        let provider = match env.get("LLM_PROVIDER") {
            Some(_) => Some(env.parsed("LLM_PROVIDER", ProviderKind::OpenAi)?),
            None if openai_api_key.is_some() => Some(ProviderKind::OpenAi),
            None if anthropic_api_key.is_some() => Some(ProviderKind::Anthropic),
            None if base_url.is_some() => Some(ProviderKind::OpenAiCompatible),
            None => None,
        };
        Ok(Self {
            provider,
            base_url,
            openai_api_key,
            anthropic_api_key,
            strategy: env.parsed("MODEL_STRATEGY", ModelStrategy::Adaptive)?,
            fast_model: env.string("FAST_MODEL"),
            balanced_model: env.string("BALANCED_MODEL"),
            complex_model: env.string("COMPLEX_MODEL"),
            temperature: env.number("MODEL_TEMPERATURE", 0.0, 0.0, 2.0)?,
            max_tokens: env.number("MODEL_MAX_TOKENS", 1024, 1, 1_000_000)?,
            tool_mode: env.parsed("LLM_TOOL_MODE", ToolMode::Auto)?,
            request_timeout: env.seconds("LLM_TIMEOUT", 60.0, 0.001, 3600.0)?,
            max_retries: env.number("LLM_MAX_RETRIES", 3, 0, 20)?,
        })
    }

    /// The model for a tier: the configured one, else the provider's default.
    pub fn model_for(&self, tier: ModelTier) -> String {
        let configured = match tier {
            ModelTier::Fast => &self.fast_model,
            ModelTier::Balanced => &self.balanced_model,
            ModelTier::Complex => &self.complex_model,
        };
        if let Some(model) = configured {
            return model.clone();
        }
        let defaults = match self.provider {
            Some(ProviderKind::Anthropic) => [
                "claude-3-5-haiku-latest",
                "claude-sonnet-4-5",
                "claude-sonnet-4-5",
            ],
            Some(ProviderKind::Ollama) => ["qwen2.5-coder", "qwen2.5-coder", "qwen2.5-coder"],
            _ => ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1"],
        };
        let index = match tier {
            ModelTier::Fast => 0,
            ModelTier::Balanced => 1,
            ModelTier::Complex => 2,
        };
        defaults[index].to_string()
    }
}
