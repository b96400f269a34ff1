//! [`NoLlm`]: the provider of an agent that only runs SQL a person wrote (`dbqa sql`,
//! verified examples): every call fails with [`Error::NotConfigured`], saying what to set.

use async_trait::async_trait;
use dbqa_core::{ChatRequest, ChatResponse, ChatStream, LlmProvider};

use crate::{Error, NOT_CONFIGURED_HINT};

/// A provider that refuses every call: for agents that never need a model.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLlm;

#[async_trait]
impl LlmProvider for NoLlm {
    fn name(&self) -> &str {
        "none"
    }

    async fn chat(&self, _request: &ChatRequest) -> Result<ChatResponse, Error> {
        Err(not_configured())
    }

    async fn chat_stream(&self, _request: &ChatRequest) -> Result<ChatStream, Error> {
        Err(not_configured())
    }
}

fn not_configured() -> Error {
    Error::NotConfigured {
        hint: NOT_CONFIGURED_HINT.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_call_says_what_to_configure() {
        let error = NoLlm
            .chat(&ChatRequest::new("m", Vec::new()))
            .await
            .expect_err("no model");
        assert!(error.to_string().contains("OPENAI_API_KEY"), "{error}");
        assert!(
            NoLlm
                .chat_stream(&ChatRequest::new("m", Vec::new()))
                .await
                .is_err()
        );
    }
}
