//! Builds each provider against a fake server, with fast backoff for tests.

use std::fmt;
use std::time::Duration;

use dbqa_core::{ChatRequest, ChatResponse, LlmError, LlmProvider, Message, StreamEvent, ToolSpec};
use dbqa_fake_llm::FakeLlm;
use dbqa_llm::{AnthropicProvider, OllamaProvider, OpenAiProvider, ProviderOptions};
use futures::StreamExt;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    OpenAi,
    Anthropic,
    Ollama,
}

pub(crate) const KINDS: [Kind; 3] = [Kind::OpenAi, Kind::Anthropic, Kind::Ollama];

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::OpenAi => "openai",
            Kind::Anthropic => "anthropic",
            Kind::Ollama => "ollama",
        })
    }
}

pub(crate) enum Subject {
    OpenAi(OpenAiProvider),
    Anthropic(AnthropicProvider),
    Ollama(OllamaProvider),
}

impl Subject {
    pub(crate) fn llm(&self) -> &dyn LlmProvider {
        match self {
            Subject::OpenAi(p) => p,
            Subject::Anthropic(p) => p,
            Subject::Ollama(p) => p,
        }
    }

    pub(crate) fn attempts(&self) -> u64 {
        match self {
            Subject::OpenAi(p) => p.attempts(),
            Subject::Anthropic(p) => p.attempts(),
            Subject::Ollama(p) => p.attempts(),
        }
    }

    pub(crate) async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.llm().chat(request).await
    }

    /// Collects a stream: every event up to the first error, and the error.
    pub(crate) async fn stream(
        &self,
        request: &ChatRequest,
    ) -> (Vec<StreamEvent>, Option<LlmError>) {
        let mut stream = match self.llm().chat_stream(request).await {
            Ok(stream) => stream,
            Err(error) => return (Vec::new(), Some(error)),
        };
        let mut events = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => events.push(event),
                Err(error) => return (events, Some(error)),
            }
        }
        (events, None)
    }
}

pub(crate) fn options(fake: &FakeLlm) -> ProviderOptions {
    ProviderOptions::new(fake.base_url())
        .with_api_key("sk-test-secret-key")
        .with_request_timeout(Duration::from_secs(5))
        .with_backoff_base(Duration::from_millis(5))
}

pub(crate) fn subject_with(kind: Kind, options: ProviderOptions) -> Subject {
    match kind {
        Kind::OpenAi => Subject::OpenAi(OpenAiProvider::new(options).unwrap()),
        Kind::Anthropic => Subject::Anthropic(AnthropicProvider::new(options).unwrap()),
        Kind::Ollama => {
            let mut options = options;
            options.api_key = None;
            Subject::Ollama(OllamaProvider::new(options).unwrap())
        }
    }
}

pub(crate) fn subject(kind: Kind, fake: &FakeLlm) -> Subject {
    subject_with(kind, options(fake))
}

pub(crate) fn run_sql_tool() -> ToolSpec {
    ToolSpec {
        name: "run_sql".into(),
        description: "Run one read-only SQL query.".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "sql": {"type": "string", "description": "The query."},
                "answer_template": {"type": "string", "description": "Answer with {column} placeholders."}
            },
            "required": ["sql"]
        }),
    }
}

pub(crate) fn describe_tool() -> ToolSpec {
    ToolSpec {
        name: "describe_tables".into(),
        description: "Show tables in full.".into(),
        parameters: json!({
            "type": "object",
            "properties": {"names": {"type": "array", "items": {"type": "string"}}},
            "required": ["names"]
        }),
    }
}

/// A question with the SQL tools offered.
pub(crate) fn question(text: &str) -> ChatRequest {
    let mut request = ChatRequest::new("test-model", vec![Message::user(text)]);
    request.system = Some("You answer questions about the singer database.".into());
    request.tools = vec![run_sql_tool(), describe_tool()];
    request.temperature = Some(0.0);
    request.max_tokens = Some(256);
    request
}
