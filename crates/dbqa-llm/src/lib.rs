//! LLM providers for dbqa: OpenAI, Anthropic, Ollama and any OpenAI-compatible server.
//!
//! It owns:
//! - the [`LlmProvider`] implementations over reqwest (rustls): [`OpenAiProvider`]
//!   (Chat Completions, also vLLM, llama.cpp, LM Studio, gateways), [`AnthropicProvider`]
//!   (Messages API) and [`OllamaProvider`] (Ollama's OpenAI-compatible endpoint), and
//!   [`provider_from_config`], which picks one from a [`ModelConfig`];
//! - the mapping of dbqa's one request shape ([`ChatRequest`](dbqa_core::ChatRequest)) to
//!   each wire format and back to one response shape
//!   ([`ChatResponse`](dbqa_core::ChatResponse)), with tool-call argument text kept verbatim
//!   even when it is not valid JSON;
//! - streaming: server-sent events parsed incrementally into
//!   [`StreamEvent`](dbqa_core::StreamEvent)s (text deltas, assembled tool calls, a final
//!   `Finished` with usage); a stream that breaks off before its terminal event ends with
//!   [`LlmError::StreamInterrupted`](dbqa_core::LlmError::StreamInterrupted);
//! - robustness: per-request and connect timeouts, retries with exponential backoff and
//!   jitter on 429, 5xx and connection errors honouring `Retry-After` (capped), no retry on
//!   other 4xx, typed errors for malformed answers; the attempt count is in the error
//!   (`attempts`) and on each provider (`attempts()`);
//! - tool modes for weak models ([`prepare_request`], [`interpret_response`],
//!   [`ModelTurn`]) and adaptive model selection ([`classify_complexity`],
//!   [`choose_model`]).
//!
//! It must not know about databases, SQL validation, caches or the agent's prompts; API
//! keys are [`SecretString`](dbqa_core::SecretString)s and never appear in `Debug`, errors
//! or logs.
//!
//! ```no_run
//! use dbqa_core::{ChatRequest, Environment, Message, ModelConfig};
//! use dbqa_llm::{choose_model, provider_from_config};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ModelConfig::from_env(&Environment::from_process()?)?;
//! let provider = provider_from_config(&config)?;
//! let question = "How many singers are there?";
//! let (_tier, model) = choose_model(&config, question);
//! let answer = provider.chat(&ChatRequest::new(model, vec![Message::user(question)])).await?;
//! println!("{:?}", answer.content);
//! # Ok(()) }
//! ```
//!
//! | Feature | Default | What it adds |
//! |---|---|---|
//! | `openai` | on | [`OpenAiProvider`] for OpenAI and OpenAI-compatible servers |
//! | `anthropic` | on | [`AnthropicProvider`] |
//! | `ollama` | on | [`OllamaProvider`] |
//!
//! Errors are [`dbqa_core::LlmError`] (re-exported as [`Error`]): the trait every provider
//! implements returns it, so this crate adds no second error type.

// With every provider feature off only the pure helpers remain; the transport sits unused.
#![cfg_attr(
    not(any(feature = "openai", feature = "anthropic", feature = "ollama")),
    allow(dead_code)
)]

#[cfg(feature = "anthropic")]
mod anthropic;
mod http;
mod none;
#[cfg(feature = "ollama")]
mod ollama;
#[cfg(any(feature = "openai", feature = "ollama"))]
mod openai;
mod routing;
mod sse;
mod tool_mode;

use std::sync::Arc;

use dbqa_core::{FinishReason, LlmProvider, ModelConfig, ProviderKind};

#[cfg(feature = "anthropic")]
#[cfg_attr(docsrs, doc(cfg(feature = "anthropic")))]
pub use anthropic::{ANTHROPIC_BASE_URL, ANTHROPIC_VERSION, AnthropicProvider};
pub use http::ProviderOptions;
pub use none::NoLlm;
#[cfg(feature = "ollama")]
#[cfg_attr(docsrs, doc(cfg(feature = "ollama")))]
pub use ollama::{OLLAMA_BASE_URL, OllamaProvider};
#[cfg(any(feature = "openai", feature = "ollama"))]
#[cfg_attr(docsrs, doc(cfg(feature = "openai")))]
pub use openai::{OPENAI_BASE_URL, OpenAiProvider};
pub use routing::{choose_model, classify_complexity};
pub use tool_mode::{
    DESCRIBE_TABLES, DESCRIBE_TABLES_ARG, ModelTurn, REPLY, RUN_SQL, interpret_response,
    json_answer_schema, prepare_request, reply_tool,
};

/// The error type of this crate: the one every [`LlmProvider`] returns.
pub use dbqa_core::LlmError as Error;

/// A result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What [`provider_from_config`] says when no provider is configured.
pub const NOT_CONFIGURED_HINT: &str = "set OPENAI_API_KEY for OpenAI, ANTHROPIC_API_KEY for \
    Anthropic, LLM_PROVIDER=ollama for a local Ollama (LLM_BASE_URL if it is not at \
    http://localhost:11434/v1), or LLM_BASE_URL=http://host:port/v1 for any \
    OpenAI-compatible server (vLLM, llama.cpp, LM Studio)";

/// Builds the provider `config.provider` names (inferred from the keys and base URL when
/// `LLM_PROVIDER` is unset), with its timeouts and retries.
///
/// Fails with [`Error::NotConfigured`] when no provider is configured, a required key or
/// URL is missing, or the provider's feature is not compiled in; the hint says what to set.
pub fn provider_from_config(config: &ModelConfig) -> Result<Arc<dyn LlmProvider>> {
    let not_configured = |hint: &str| Error::NotConfigured {
        hint: hint.to_string(),
    };
    #[cfg(any(feature = "openai", feature = "ollama"))]
    let options = |default: &str, key: Option<dbqa_core::SecretString>| {
        let base = config
            .base_url
            .as_ref()
            .map_or_else(|| default.to_string(), |url| url.expose().to_string());
        ProviderOptions::from_config(config, base, key)
    };
    match config.provider {
        None => Err(not_configured(NOT_CONFIGURED_HINT)),
        #[cfg(feature = "openai")]
        Some(ProviderKind::OpenAi) => {
            if config.openai_api_key.is_none() && config.base_url.is_none() {
                return Err(not_configured(
                    "LLM_PROVIDER=openai needs OPENAI_API_KEY (or LLM_BASE_URL for a compatible server without a key)",
                ));
            }
            let options = options(OPENAI_BASE_URL, config.openai_api_key.clone());
            Ok(Arc::new(OpenAiProvider::new(options)?))
        }
        #[cfg(feature = "openai")]
        Some(ProviderKind::OpenAiCompatible) => {
            let Some(base) = &config.base_url else {
                return Err(not_configured(
                    "LLM_PROVIDER=openai-compatible needs LLM_BASE_URL, e.g. http://127.0.0.1:8080/v1",
                ));
            };
            let options = ProviderOptions::from_config(
                config,
                base.expose().to_string(),
                config.openai_api_key.clone(),
            );
            Ok(Arc::new(OpenAiProvider::named(
                "openai-compatible",
                options,
            )?))
        }
        #[cfg(feature = "anthropic")]
        Some(ProviderKind::Anthropic) => {
            let Some(key) = &config.anthropic_api_key else {
                return Err(not_configured(
                    "LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY",
                ));
            };
            let base = config.base_url.as_ref().map_or_else(
                || ANTHROPIC_BASE_URL.to_string(),
                |url| url.expose().to_string(),
            );
            let options = ProviderOptions::from_config(config, base, Some(key.clone()));
            Ok(Arc::new(AnthropicProvider::new(options)?))
        }
        #[cfg(feature = "ollama")]
        Some(ProviderKind::Ollama) => {
            let options = options(OLLAMA_BASE_URL, None);
            Ok(Arc::new(OllamaProvider::new(options)?))
        }
        #[allow(unreachable_patterns)]
        Some(kind) => Err(not_configured(&format!(
            "LLM_PROVIDER={kind} is not compiled in: enable the `{}` feature of dbqa-llm",
            match kind {
                ProviderKind::Anthropic => "anthropic",
                ProviderKind::Ollama => "ollama",
                _ => "openai",
            }
        ))),
    }
}

/// Maps both providers' stop reasons to [`FinishReason`].
pub(crate) fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" | "end_turn" | "stop_sequence" => FinishReason::Stop,
        "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
        "length" | "max_tokens" => FinishReason::Length,
        "content_filter" | "refusal" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}
