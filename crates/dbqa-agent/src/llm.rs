//! The agent's seam to `dbqa-llm`: provider construction and model routing.

use std::sync::Arc;

use dbqa_core::{LlmProvider, ModelConfig, ModelStrategy, ModelTier};

use crate::{Error, Result};

/// The provider `config` describes.
pub(crate) fn provider_from_config(_config: &ModelConfig) -> Result<Arc<dyn LlmProvider>> {
    Err(Error::Build(
        "no LLM provider: pass one with AgentBuilder::llm (dbqa-llm is not linked yet)".into(),
    ))
}

/// The model for a question: by complexity when the strategy is adaptive.
pub(crate) fn choose_model(config: &ModelConfig, _question: &str) -> (ModelTier, String) {
    let tier = match config.strategy {
        ModelStrategy::Adaptive | ModelStrategy::Fixed => ModelTier::Balanced,
    };
    (tier, config.model_for(tier))
}
