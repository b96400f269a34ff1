//! What the command line remembers between runs about an LLM server: that, asked in
//! `auto` tool mode, it answered tools in text (llama.cpp, Ollama without tool support).
//!
//! Each `dbqa ask` is a new process. Without this memory every question would pay the
//! detection again: the first turn carries the tool definitions (a longer prompt), and a
//! reply with nothing usable costs a second call.
//!
//! The memory is a JSON file ([`FILE_NAME`]) in the user's data directory, one entry per
//! provider, base URL (without any password) and model. It is read only while
//! `LLM_TOOL_MODE` is unset; deleting the file forgets everything. A failure to read or
//! write it never fails a command: it only means detecting again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dbqa_core::{ModelConfig, ToolMode};

/// The name of the file of remembered servers.
const FILE_NAME: &str = "llm-servers.json";

/// The file of remembered servers.
#[derive(Debug, Clone)]
pub(crate) struct LlmMemory {
    path: PathBuf,
}

/// What is remembered of one server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Remembered {
    /// The tool mode `auto` settled on.
    tool_mode: ToolMode,
}

impl LlmMemory {
    /// The memory kept in `dir` (the user's data directory).
    pub(crate) fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join(FILE_NAME),
        }
    }

    /// The tool mode `auto` settled on for this server in an earlier run, if any.
    pub(crate) fn tool_mode(&self, model: &ModelConfig) -> Option<ToolMode> {
        self.read().remove(&key(model)).map(|r| r.tool_mode)
    }

    /// Remembers the tool mode `auto` settled on for this server.
    pub(crate) fn remember(&self, model: &ModelConfig, tool_mode: ToolMode) {
        let mut all = self.read();
        let entry = Remembered { tool_mode };
        if all.get(&key(model)) == Some(&entry) {
            return;
        }
        all.insert(key(model), entry);
        if let Err(e) = self.write(&all) {
            tracing::debug!(path = %self.path.display(), "cannot remember the LLM server: {e}");
        }
    }

    fn read(&self) -> BTreeMap<String, Remembered> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Writes beside the file and renames, so a reader never sees half a file.
    fn write(&self, all: &BTreeMap<String, Remembered>) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(all).map_err(std::io::Error::other)?;
        let partial = self
            .path
            .with_extension(format!("json.partial-{}", std::process::id()));
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &self.path)
    }
}

/// Which server a memory is about: provider, base URL without its password, and the
/// models asked for (a server that swaps its model keeps its URL).
fn key(model: &ModelConfig) -> String {
    let provider = model.provider.map(|p| p.to_string()).unwrap_or_default();
    let url = model
        .base_url
        .as_ref()
        .map(|u| u.redacted().to_string())
        .unwrap_or_default();
    let models = [
        &model.fast_model,
        &model.balanced_model,
        &model.complex_model,
    ]
    .map(|m| m.as_deref().unwrap_or("-"))
    .join(",");
    format!("{provider} {url} {models}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbqa_core::{Environment, SecretUrl};

    fn server(url: &str, model: Option<&str>) -> ModelConfig {
        let mut config = ModelConfig::from_env(&Environment::empty()).expect("defaults");
        config.base_url = Some(SecretUrl::new(url));
        config.balanced_model = model.map(str::to_string);
        config
    }

    #[test]
    fn a_remembered_server_is_known_and_others_are_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let memory = LlmMemory::in_dir(dir.path());
        let local = server("http://127.0.0.1:8011/v1", None);
        assert_eq!(memory.tool_mode(&local), None);
        memory.remember(&local, ToolMode::Text);
        assert_eq!(memory.tool_mode(&local), Some(ToolMode::Text));
        // A new run reads the same file.
        assert_eq!(
            LlmMemory::in_dir(dir.path()).tool_mode(&local),
            Some(ToolMode::Text)
        );
        for other in [
            server("http://127.0.0.1:8012/v1", None),
            server("http://127.0.0.1:8011/v1", Some("qwen2.5-coder-7b")),
        ] {
            assert_eq!(memory.tool_mode(&other), None, "{:?}", key(&other));
        }
    }

    #[test]
    fn the_file_holds_no_password() {
        let dir = tempfile::tempdir().expect("temp dir");
        let memory = LlmMemory::in_dir(dir.path());
        let with_password = server("http://user:hunter2@llm.internal:8000/v1", None);
        memory.remember(&with_password, ToolMode::Text);
        let text = std::fs::read_to_string(dir.path().join("llm-servers.json")).expect("written");
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(memory.tool_mode(&with_password), Some(ToolMode::Text));
    }

    #[test]
    fn an_unreadable_file_is_an_empty_memory_and_is_replaced() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("llm-servers.json"), "not json").expect("write");
        let memory = LlmMemory::in_dir(dir.path());
        let local = server("http://127.0.0.1:8011/v1", None);
        assert_eq!(memory.tool_mode(&local), None);
        memory.remember(&local, ToolMode::Text);
        assert_eq!(memory.tool_mode(&local), Some(ToolMode::Text));
    }
}
