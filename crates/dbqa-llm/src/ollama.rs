//! Ollama, through its OpenAI-compatible endpoint (`http://localhost:11434/v1`, no key).

use async_trait::async_trait;
use dbqa_core::{ChatRequest, ChatResponse, ChatStream, LlmError, LlmProvider};

use crate::http::ProviderOptions;
use crate::openai::OpenAiProvider;

/// The default API root of a local Ollama.
pub const OLLAMA_BASE_URL: &str = "http://localhost:11434/v1";

/// A provider for a local or remote Ollama server.
///
/// Ollama speaks the Chat Completions wire format, so this wraps [`OpenAiProvider`] under
/// the name `ollama`.
#[derive(Debug)]
pub struct OllamaProvider {
    inner: OpenAiProvider,
}

impl OllamaProvider {
    /// A provider with these options (no key needed).
    pub fn new(options: ProviderOptions) -> Result<Self, LlmError> {
        Ok(Self {
            inner: OpenAiProvider::named("ollama", options)?,
        })
    }

    /// HTTP attempts made so far, retries included.
    pub fn attempts(&self) -> u64 {
        self.inner.attempts()
    }

    /// The connection settings.
    pub fn options(&self) -> &ProviderOptions {
        self.inner.options()
    }
}

#[async_trait]
impl LlmProvider for OllamaProvider {
    fn name(&self) -> &str {
        self.inner.name()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.inner.chat(request).await
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        self.inner.chat_stream(request).await
    }

    async fn served_models(&self) -> Result<Vec<String>, LlmError> {
        self.inner.served_models().await
    }
}
