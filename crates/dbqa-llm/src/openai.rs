//! OpenAI Chat Completions, and every server that speaks it (vLLM, llama.cpp, LM Studio,
//! Ollama's `/v1`, gateways).
//!
//! Two features are negotiated with compatible servers that lack them: when a request with
//! `tool_choice: "required"` or a `json_schema` response format is refused (HTTP 400, 422
//! or 500), it is sent again with the first offered tool forced by name, or with
//! `{"type": "json_object", "schema": …}` (llama-cpp-python's form), and the fallback is
//! remembered for later requests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};

use async_trait::async_trait;
use dbqa_core::{
    ChatRequest, ChatResponse, ChatStream, FinishReason, LlmError, LlmProvider, Message,
    ResponseFormat, Role, StreamEvent, ToolCall, ToolChoice, Usage,
};
use eventsource_stream::Event;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Map, Value, json};

use crate::finish_reason;
use crate::http::{ProviderOptions, Transport};
use crate::sse::{self, Decoder};

/// The default API root.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

const UNKNOWN: u8 = 0;
const SUPPORTED: u8 = 1;
const UNSUPPORTED: u8 = 2;

/// A provider for OpenAI's Chat Completions API or any server that speaks it.
pub struct OpenAiProvider {
    transport: Transport,
    /// Whether the server accepts `tool_choice: "required"`.
    required_choice: AtomicU8,
    /// Whether the server accepts `response_format: {"type": "json_schema"}`.
    json_schema: AtomicU8,
}

impl std::fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiProvider")
            .field("name", &self.transport.provider())
            .field("options", self.transport.options())
            .finish_non_exhaustive()
    }
}

/// Wire choices that depend on the server.
#[derive(Clone, Copy)]
struct Flavor {
    /// Official OpenAI wants `max_completion_tokens`; compatible servers know `max_tokens`.
    completion_tokens_field: bool,
    force_first_tool: bool,
    json_object_schema: bool,
}

impl OpenAiProvider {
    /// A provider named `openai` (or `name`, e.g. `openai-compatible`) with these options.
    pub fn new(options: ProviderOptions) -> Result<Self, LlmError> {
        Self::named("openai", options)
    }

    /// A provider reporting `name` in errors and [`LlmProvider::name`].
    pub fn named(name: &str, options: ProviderOptions) -> Result<Self, LlmError> {
        Ok(Self {
            transport: Transport::new(name, options)?,
            required_choice: AtomicU8::new(UNKNOWN),
            json_schema: AtomicU8::new(UNKNOWN),
        })
    }

    /// HTTP attempts made so far, retries included.
    pub fn attempts(&self) -> u64 {
        self.transport.attempts()
    }

    /// The connection settings.
    pub fn options(&self) -> &ProviderOptions {
        self.transport.options()
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(key) = self.transport.api_key()
            && let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {key}"))
        {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    /// Sends with feature negotiation (see the module docs).
    async fn send(
        &self,
        request: &ChatRequest,
        stream: bool,
    ) -> Result<reqwest::Response, LlmError> {
        let wants_required =
            !request.tools.is_empty() && request.tool_choice == ToolChoice::Required;
        let wants_schema = matches!(request.response_format, ResponseFormat::JsonSchema { .. });
        let official = self.transport.options().base_url.contains("api.openai.com");
        let mut flavor = Flavor {
            completion_tokens_field: official,
            force_first_tool: wants_required
                && self.required_choice.load(Ordering::Relaxed) == UNSUPPORTED,
            json_object_schema: wants_schema
                && self.json_schema.load(Ordering::Relaxed) == UNSUPPORTED,
        };
        let probing_required =
            wants_required && self.required_choice.load(Ordering::Relaxed) == UNKNOWN;
        let probing_schema = wants_schema && self.json_schema.load(Ordering::Relaxed) == UNKNOWN;
        let probing = probing_required || probing_schema;
        let headers = self.headers();
        let body = request_body(request, stream, flavor);
        match self
            .transport
            .post("/chat/completions", &headers, &body, stream, probing)
            .await
        {
            Ok(response) => {
                if probing_required {
                    self.required_choice.store(SUPPORTED, Ordering::Relaxed);
                }
                if probing_schema {
                    self.json_schema.store(SUPPORTED, Ordering::Relaxed);
                }
                Ok(response)
            }
            Err(LlmError::BadRequest { status, .. } | LlmError::Server { status, .. })
                if probing && matches!(status, 400 | 422 | 500) =>
            {
                tracing::warn!(
                    provider = self.transport.provider(),
                    status,
                    "server refused tool_choice \"required\" or a json_schema response format; using the fallback form"
                );
                flavor.force_first_tool = wants_required;
                flavor.json_object_schema = wants_schema;
                let body = request_body(request, stream, flavor);
                let response = self
                    .transport
                    .post("/chat/completions", &headers, &body, stream, false)
                    .await?;
                if probing_required {
                    self.required_choice.store(UNSUPPORTED, Ordering::Relaxed);
                }
                if probing_schema {
                    self.json_schema.store(UNSUPPORTED, Ordering::Relaxed);
                }
                Ok(response)
            }
            Err(error) => Err(error),
        }
    }
}

#[async_trait]
impl LlmProvider for OpenAiProvider {
    fn name(&self) -> &str {
        self.transport.provider()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let response = self.send(request, false).await?;
        let value = self.transport.read_json(response).await?;
        parse_response(&value).map_err(|message| self.transport.invalid(message))
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let response = self.send(request, true).await?;
        Ok(sse::decode(
            self.transport.provider(),
            response,
            self.transport.options().request_timeout,
            StreamDecoder::default(),
        ))
    }

    async fn served_models(&self) -> Result<Vec<String>, LlmError> {
        let value = self
            .transport
            .get_json("/models", &self.headers(), MODELS_LIMIT)
            .await?;
        Ok(model_ids(&value))
    }
}

/// How long the optional `GET /models` may take: a one-slot server busy with another
/// request answers it late, and then the default name is used rather than waiting.
const MODELS_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The `id` of each entry of a `GET /models` answer (`{"data": [{"id": …}, …]}`).
fn model_ids(value: &Value) -> Vec<String> {
    value
        .get("data")
        .and_then(Value::as_array)
        .map(|models| {
            models
                .iter()
                .filter_map(|m| m.get("id").and_then(Value::as_str))
                .filter(|id| !id.trim().is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn message_json(message: &Message) -> Value {
    match message.role {
        Role::System => json!({"role": "system", "content": message.content}),
        Role::User => json!({"role": "user", "content": message.content}),
        Role::Assistant => {
            let mut value = json!({"role": "assistant"});
            value["content"] = if message.content.is_empty() && !message.tool_calls.is_empty() {
                Value::Null
            } else {
                Value::String(message.content.clone())
            };
            if !message.tool_calls.is_empty() {
                let calls: Vec<Value> = message
                    .tool_calls
                    .iter()
                    .map(|c| {
                        json!({"id": c.id, "type": "function",
                               "function": {"name": c.name, "arguments": c.arguments}})
                    })
                    .collect();
                value["tool_calls"] = Value::Array(calls);
            }
            value
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": message.tool_call_id.clone().unwrap_or_default(),
            "content": message.content,
        }),
    }
}

fn request_body(request: &ChatRequest, stream: bool, flavor: Flavor) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = &request.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    messages.extend(request.messages.iter().map(message_json));
    body.insert("messages".into(), Value::Array(messages));
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": t.parameters}})
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        let named = |name: &str| json!({"type": "function", "function": {"name": name}});
        let choice = match &request.tool_choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::None => json!("none"),
            ToolChoice::Required if flavor.force_first_tool => named(
                request
                    .tools
                    .first()
                    .map(|t| t.name.as_str())
                    .unwrap_or_default(),
            ),
            ToolChoice::Required => json!("required"),
            ToolChoice::Tool(name) => named(name),
        };
        body.insert("tool_choice".into(), choice);
    }
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    if let Some(max_tokens) = request.max_tokens {
        let field = if flavor.completion_tokens_field {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(field.into(), json!(max_tokens));
    }
    if let ResponseFormat::JsonSchema { name, schema } = &request.response_format {
        let format = if flavor.json_object_schema {
            json!({"type": "json_object", "schema": schema})
        } else {
            json!({"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": false}})
        };
        body.insert("response_format".into(), format);
    }
    if stream {
        body.insert("stream".into(), json!(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Value::Object(body)
}

fn usage(value: Option<&Value>) -> Usage {
    let count = |key: &str| {
        value
            .and_then(|u| u.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Usage {
        prompt_tokens: count("prompt_tokens"),
        completion_tokens: count("completion_tokens"),
    }
}

/// Argument text as sent: a string is kept verbatim (even invalid JSON); an object (some
/// compatible servers send one) is serialised.
fn arguments_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => "{}".to_string(),
        Some(other) => other.to_string(),
    }
}

fn parse_response(value: &Value) -> Result<ChatResponse, String> {
    let choice = value
        .get("choices")
        .ok_or("missing field `choices`")?
        .as_array()
        .ok_or("`choices` is not an array")?
        .first()
        .ok_or("`choices` is empty")?;
    let message = choice
        .get("message")
        .ok_or("missing field `choices[0].message`")?;
    let content = match message.get("content") {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Null) | None => None,
        Some(_) => return Err("`message.content` is not a string".into()),
    };
    let mut tool_calls = Vec::new();
    if let Some(calls) = message.get("tool_calls").filter(|c| !c.is_null()) {
        let calls = calls.as_array().ok_or("`tool_calls` is not an array")?;
        for (i, call) in calls.iter().enumerate() {
            let name = call
                .pointer("/function/name")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("missing field `tool_calls[{i}].function.name`"))?;
            tool_calls.push(ToolCall {
                id: call
                    .get("id")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("call_{i}"), str::to_string),
                name: name.to_string(),
                arguments: arguments_text(call.pointer("/function/arguments")),
            });
        }
    }
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(finish_reason)
        .unwrap_or(if tool_calls.is_empty() {
            FinishReason::Stop
        } else {
            FinishReason::ToolCalls
        });
    Ok(ChatResponse {
        content,
        tool_calls,
        finish_reason: finish,
        usage: usage(value.get("usage")),
        model: value
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Assembles OpenAI chunks: text deltas pass through, tool-call fragments are joined by
/// index and emitted at the finish reason (or `[DONE]`), usage comes in the last chunk.
#[derive(Default)]
struct StreamDecoder {
    calls: BTreeMap<u64, PartialCall>,
    finish: Option<FinishReason>,
    usage: Usage,
    model: String,
    done: bool,
}

impl StreamDecoder {
    fn flush_calls(&mut self) -> Vec<StreamEvent> {
        std::mem::take(&mut self.calls)
            .into_iter()
            .map(|(index, call)| StreamEvent::ToolCall {
                call: ToolCall {
                    id: if call.id.is_empty() {
                        format!("call_{index}")
                    } else {
                        call.id
                    },
                    name: call.name,
                    arguments: if call.arguments.is_empty() {
                        "{}".to_string()
                    } else {
                        call.arguments
                    },
                },
            })
            .collect()
    }
}

impl Decoder for StreamDecoder {
    fn feed(&mut self, event: &Event) -> Result<Vec<StreamEvent>, String> {
        let data = event.data.trim();
        if data.is_empty() {
            return Ok(Vec::new());
        }
        if data == "[DONE]" {
            self.done = true;
            let mut out = self.flush_calls();
            let has_calls = !out.is_empty();
            out.push(StreamEvent::Finished {
                finish_reason: self.finish.take().unwrap_or(if has_calls {
                    FinishReason::ToolCalls
                } else {
                    FinishReason::Stop
                }),
                usage: self.usage,
                model: std::mem::take(&mut self.model),
            });
            return Ok(out);
        }
        let value: Value =
            serde_json::from_str(data).map_err(|e| format!("malformed JSON chunk ({e})"))?;
        if let Some(error) = value.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the server sent an error event");
            return Err(message.to_string());
        }
        if let Some(model) = value.get("model").and_then(Value::as_str) {
            self.model = model.to_string();
        }
        if value.get("usage").is_some_and(|u| !u.is_null()) {
            self.usage = usage(value.get("usage"));
        }
        let mut out = Vec::new();
        let Some(choice) = value
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(out);
        };
        let delta = choice.get("delta");
        if let Some(text) = delta
            .and_then(|d| d.get("content"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            out.push(StreamEvent::TextDelta {
                text: text.to_string(),
            });
        }
        if let Some(calls) = delta
            .and_then(|d| d.get("tool_calls"))
            .and_then(Value::as_array)
        {
            for (position, fragment) in calls.iter().enumerate() {
                let index = fragment
                    .get("index")
                    .and_then(Value::as_u64)
                    .unwrap_or(position as u64);
                let call = self.calls.entry(index).or_default();
                if let Some(id) = fragment.get("id").and_then(Value::as_str) {
                    call.id = id.to_string();
                }
                if let Some(name) = fragment.pointer("/function/name").and_then(Value::as_str) {
                    call.name.push_str(name);
                }
                match fragment.pointer("/function/arguments") {
                    Some(Value::String(piece)) => call.arguments.push_str(piece),
                    Some(Value::Null) | None => {}
                    Some(object) => call.arguments.push_str(&object.to_string()),
                }
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish = Some(finish_reason(reason));
            out.extend(self.flush_calls());
        }
        Ok(out)
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn terminal(&self) -> &'static str {
        "[DONE]"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_are_named() {
        let check = |body: Value, expect: &str| {
            assert_eq!(parse_response(&body).unwrap_err(), expect);
        };
        check(json!({}), "missing field `choices`");
        check(json!({"choices": []}), "`choices` is empty");
        check(
            json!({"choices": [{}]}),
            "missing field `choices[0].message`",
        );
        check(
            json!({"choices": [{"message": {"tool_calls": [{"function": {}}]}}]}),
            "missing field `tool_calls[0].function.name`",
        );
    }

    #[test]
    fn object_arguments_are_serialised() {
        let body = json!({"choices": [{"message": {"content": null, "tool_calls": [
            {"function": {"name": "run_sql", "arguments": {"sql": "SELECT 1"}}}]}}],
            "unknown_field": true});
        let response = parse_response(&body).unwrap();
        assert_eq!(response.tool_calls[0].arguments, r#"{"sql":"SELECT 1"}"#);
        assert_eq!(response.tool_calls[0].id, "call_0");
        assert_eq!(response.finish_reason, FinishReason::ToolCalls);
    }
}
