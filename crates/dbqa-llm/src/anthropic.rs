//! Anthropic's Messages API: system prompt at the top level, `tool_use` / `tool_result`
//! content blocks, `x-api-key` and `anthropic-version` headers, and its SSE event types
//! (`message_start`, `content_block_start`, `content_block_delta` with `text_delta` or
//! `input_json_delta`, `content_block_stop`, `message_delta`, `message_stop`).
//!
//! The Messages API has no JSON-schema response format here: a requested
//! [`ResponseFormat::JsonSchema`] is described in the system prompt instead (the tool-mode
//! helpers already do so).

use std::collections::BTreeMap;

use async_trait::async_trait;
use dbqa_core::{
    ChatRequest, ChatResponse, ChatStream, FinishReason, LlmError, LlmProvider, Message,
    ResponseFormat, Role, StreamEvent, ToolCall, ToolChoice, Usage,
};
use eventsource_stream::Event;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use crate::finish_reason;
use crate::http::{ProviderOptions, Transport};
use crate::sse::{self, Decoder};

/// The default API root.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com/v1";

/// The API version sent in `anthropic-version`.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// `max_tokens` is required by the Messages API; used when the request sets none.
const DEFAULT_MAX_TOKENS: u32 = 1024;

/// A provider for Anthropic's Messages API.
pub struct AnthropicProvider {
    transport: Transport,
}

impl std::fmt::Debug for AnthropicProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnthropicProvider")
            .field("options", self.transport.options())
            .finish_non_exhaustive()
    }
}

impl AnthropicProvider {
    /// A provider with these options (the key goes in `x-api-key`).
    pub fn new(options: ProviderOptions) -> Result<Self, LlmError> {
        Ok(Self {
            transport: Transport::new("anthropic", options)?,
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
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        if let Some(key) = self.transport.api_key()
            && let Ok(mut value) = HeaderValue::from_str(key)
        {
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-api-key"), value);
        }
        headers
    }
}

#[async_trait]
impl LlmProvider for AnthropicProvider {
    fn name(&self) -> &str {
        self.transport.provider()
    }

    async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let body = request_body(request, false);
        let response = self
            .transport
            .post("/messages", &self.headers(), &body, false, false)
            .await?;
        let value = self.transport.read_json(response).await?;
        parse_response(&value).map_err(|message| self.transport.invalid(message))
    }

    async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        let body = request_body(request, true);
        let response = self
            .transport
            .post("/messages", &self.headers(), &body, true, false)
            .await?;
        Ok(sse::decode(
            self.transport.provider(),
            response,
            self.transport.options().request_timeout,
            StreamDecoder::default(),
        ))
    }
}

/// Tool arguments as an input object; text that is not a JSON object is wrapped so the
/// model still sees what it wrote.
fn tool_input(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => value,
        _ => json!({ "_invalid_arguments": arguments }),
    }
}

fn blocks(message: &Message) -> Vec<Value> {
    match message.role {
        Role::Tool => vec![json!({
            "type": "tool_result",
            "tool_use_id": message.tool_call_id.clone().unwrap_or_default(),
            "content": message.content,
        })],
        _ => {
            let mut out = Vec::new();
            if !message.content.is_empty() {
                out.push(json!({"type": "text", "text": message.content}));
            }
            for call in &message.tool_calls {
                out.push(json!({"type": "tool_use", "id": call.id, "name": call.name,
                                "input": tool_input(&call.arguments)}));
            }
            out
        }
    }
}

fn request_body(request: &ChatRequest, stream: bool) -> Value {
    let mut system: Vec<&str> = request.system.iter().map(String::as_str).collect();
    // Consecutive messages of one role are merged: the API wants user and assistant turns
    // to alternate, and tool results travel in a user turn.
    let mut turns: Vec<(&str, Vec<Value>)> = Vec::new();
    for message in &request.messages {
        let role = match message.role {
            Role::System => {
                system.push(&message.content);
                continue;
            }
            Role::User | Role::Tool => "user",
            Role::Assistant => "assistant",
        };
        let content = blocks(message);
        if content.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(content),
            _ => turns.push((role, content)),
        }
    }
    let messages: Vec<Value> = turns
        .into_iter()
        .map(|(role, content)| {
            let content = match content.as_slice() {
                [single] if single.get("type").and_then(Value::as_str) == Some("text") => {
                    single.get("text").cloned().unwrap_or_default()
                }
                _ => Value::Array(content),
            };
            json!({"role": role, "content": content})
        })
        .collect();
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert(
        "max_tokens".into(),
        json!(request.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)),
    );
    let schema_note;
    if let ResponseFormat::JsonSchema { schema, .. } = &request.response_format {
        schema_note = format!("Answer with one JSON object matching this JSON Schema: {schema}");
        let already = system.iter().any(|s| s.contains("JSON"));
        if !already {
            system.push(&schema_note);
        }
    }
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    body.insert("messages".into(), Value::Array(messages));
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}))
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        let choice = match &request.tool_choice {
            ToolChoice::Auto => json!({"type": "auto"}),
            ToolChoice::Required => json!({"type": "any"}),
            ToolChoice::None => json!({"type": "none"}),
            ToolChoice::Tool(name) => json!({"type": "tool", "name": name}),
        };
        body.insert("tool_choice".into(), choice);
    }
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    if stream {
        body.insert("stream".into(), json!(true));
    }
    Value::Object(body)
}

fn usage(value: Option<&Value>, into: &mut Usage) {
    let Some(value) = value else { return };
    if let Some(input) = value.get("input_tokens").and_then(Value::as_u64) {
        into.prompt_tokens = input;
    }
    if let Some(output) = value.get("output_tokens").and_then(Value::as_u64) {
        into.completion_tokens = output;
    }
}

/// A `tool_use` input as argument text: an object is serialised, a string kept verbatim.
fn input_text(input: Option<&Value>) -> String {
    match input {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => "{}".to_string(),
        Some(other) => other.to_string(),
    }
}

fn parse_response(value: &Value) -> Result<ChatResponse, String> {
    let content = value
        .get("content")
        .ok_or("missing field `content`")?
        .as_array()
        .ok_or("`content` is not an array")?;
    let mut text = String::new();
    let mut saw_text = false;
    let mut tool_calls = Vec::new();
    for (i, block) in content.iter().enumerate() {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                saw_text = true;
                text.push_str(
                    block
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                );
            }
            Some("tool_use") => {
                let name = block
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("missing field `content[{i}].name`"))?;
                tool_calls.push(ToolCall {
                    id: block
                        .get("id")
                        .and_then(Value::as_str)
                        .map_or_else(|| format!("toolu_{i}"), str::to_string),
                    name: name.to_string(),
                    arguments: input_text(block.get("input")),
                });
            }
            // Thinking and other block types carry nothing dbqa uses.
            _ => {}
        }
    }
    let mut total = Usage::default();
    usage(value.get("usage"), &mut total);
    Ok(ChatResponse {
        content: saw_text.then_some(text),
        finish_reason: value
            .get("stop_reason")
            .and_then(Value::as_str)
            .map(finish_reason)
            .unwrap_or(if tool_calls.is_empty() {
                FinishReason::Stop
            } else {
                FinishReason::ToolCalls
            }),
        tool_calls,
        usage: total,
        model: value
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

struct PartialTool {
    id: String,
    name: String,
    json: String,
}

/// Follows the Messages event sequence; tool calls are emitted at their block's end.
#[derive(Default)]
struct StreamDecoder {
    tools: BTreeMap<u64, PartialTool>,
    usage: Usage,
    finish: Option<FinishReason>,
    model: String,
    done: bool,
}

impl StreamDecoder {
    fn emit(tool: PartialTool) -> StreamEvent {
        StreamEvent::ToolCall {
            call: ToolCall {
                id: tool.id,
                name: tool.name,
                arguments: if tool.json.is_empty() {
                    "{}".to_string()
                } else {
                    tool.json
                },
            },
        }
    }
}

impl Decoder for StreamDecoder {
    fn feed(&mut self, event: &Event) -> Result<Vec<StreamEvent>, String> {
        let data = event.data.trim();
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let value: Value =
            serde_json::from_str(data).map_err(|e| format!("malformed JSON event ({e})"))?;
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(event.event.as_str());
        let index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
        let mut out = Vec::new();
        match kind {
            "message_start" => {
                let message = value.get("message");
                if let Some(model) = message.and_then(|m| m.get("model")).and_then(Value::as_str) {
                    self.model = model.to_string();
                }
                usage(message.and_then(|m| m.get("usage")), &mut self.usage);
            }
            "content_block_start" => {
                let block = value
                    .get("content_block")
                    .ok_or("missing field `content_block`")?;
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if let Some(text) = block
                            .get("text")
                            .and_then(Value::as_str)
                            .filter(|t| !t.is_empty())
                        {
                            out.push(StreamEvent::TextDelta {
                                text: text.to_string(),
                            });
                        }
                    }
                    Some("tool_use") => {
                        let input = block.get("input").filter(|i| {
                            !i.is_null() && i.as_object().is_none_or(|o| !o.is_empty())
                        });
                        self.tools.insert(
                            index,
                            PartialTool {
                                id: block
                                    .get("id")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default()
                                    .to_string(),
                                name: block
                                    .get("name")
                                    .and_then(Value::as_str)
                                    .ok_or("missing field `content_block.name`")?
                                    .to_string(),
                                json: input.map(Value::to_string).unwrap_or_default(),
                            },
                        );
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let delta = value.get("delta").ok_or("missing field `delta`")?;
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") => {
                        if let Some(text) = delta.get("text").and_then(Value::as_str) {
                            out.push(StreamEvent::TextDelta {
                                text: text.to_string(),
                            });
                        }
                    }
                    Some("input_json_delta") => {
                        if let (Some(tool), Some(piece)) = (
                            self.tools.get_mut(&index),
                            delta.get("partial_json").and_then(Value::as_str),
                        ) {
                            tool.json.push_str(piece);
                        }
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                if let Some(tool) = self.tools.remove(&index) {
                    out.push(Self::emit(tool));
                }
            }
            "message_delta" => {
                if let Some(reason) = value.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.finish = Some(finish_reason(reason));
                }
                usage(value.get("usage"), &mut self.usage);
            }
            "message_stop" => {
                self.done = true;
                out.extend(
                    std::mem::take(&mut self.tools)
                        .into_values()
                        .map(Self::emit),
                );
                out.push(StreamEvent::Finished {
                    finish_reason: self.finish.take().unwrap_or_default(),
                    usage: self.usage,
                    model: std::mem::take(&mut self.model),
                });
            }
            "error" => {
                let message = value
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or("the server sent an error event");
                return Err(message.to_string());
            }
            // `ping` and future event types.
            _ => {}
        }
        Ok(out)
    }

    fn finished(&self) -> bool {
        self.done
    }

    fn terminal(&self) -> &'static str {
        "message_stop"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            parse_response(&json!({"id": "x"})).unwrap_err(),
            "missing field `content`"
        );
        assert_eq!(
            parse_response(&json!({"content": [{"type": "tool_use", "input": {}}]})).unwrap_err(),
            "missing field `content[0].name`"
        );
    }

    #[test]
    fn invalid_stored_arguments_are_wrapped() {
        assert_eq!(
            tool_input(r#"{"sql":"SELECT 1"}"#),
            json!({"sql": "SELECT 1"})
        );
        assert_eq!(
            tool_input("{sql: oops"),
            json!({"_invalid_arguments": "{sql: oops"})
        );
    }
}
