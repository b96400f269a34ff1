//! The agent's seam to `dbqa-llm`: provider construction.

use std::sync::Arc;

use dbqa_core::{LlmProvider, ModelConfig};

use crate::{Error, Result};

/// The provider `config` describes; a missing configuration is a build error that says
/// what to set.
pub(crate) fn provider_from_config(config: &ModelConfig) -> Result<Arc<dyn LlmProvider>> {
    dbqa_llm::provider_from_config(config).map_err(|e| Error::Build(e.to_string()))
}
