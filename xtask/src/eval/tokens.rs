//! Token counts with a real BPE tokenizer: o200k_base (GPT-4o's), whose vocabulary
//! tiktoken-rs compiles into the binary (no download at run time).

use anyhow::Result;
use tiktoken_rs::CoreBPE;

/// Counts tokens of prompt text.
pub(crate) struct Counter {
    bpe: CoreBPE,
}

impl Counter {
    /// Loads o200k_base.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            bpe: tiktoken_rs::o200k_base()?,
        })
    }

    /// Tokens in `text` (special tokens counted as plain text).
    pub(crate) fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }
}
