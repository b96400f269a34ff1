//! Renders replies in the OpenAI and Anthropic wire formats.

use serde_json::{Value, json};

use crate::reply::{Body, FakeCall, Reply, fragments};

/// Which API the request was sent to (from its path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `…/chat/completions`: OpenAI Chat Completions (also Ollama and other compatible servers).
    OpenAi,
    /// `…/messages`: Anthropic Messages.
    Anthropic,
}

/// What to send back.
pub(crate) enum Rendered {
    /// A complete body with a content type.
    Full {
        status: u16,
        retry_after: Option<u64>,
        content_type: &'static str,
        body: String,
    },
    /// Server-sent events, optionally broken off at the end.
    Sse { frames: Vec<String>, abort: bool },
}

pub(crate) struct Context<'a> {
    pub(crate) wire: Wire,
    pub(crate) stream: bool,
    pub(crate) include_usage: bool,
    pub(crate) model: &'a str,
    pub(crate) serial: usize,
}

pub(crate) fn render(reply: &Reply, cx: &Context<'_>) -> Rendered {
    let model = reply.model.as_deref().unwrap_or(cx.model);
    match &reply.body {
        Body::Message {
            chunks,
            calls,
            finish,
        } => {
            let finish = finish.clone().unwrap_or_else(|| {
                if calls.is_empty() { "stop" } else { "tool_calls" }.to_string()
            });
            let answer = Answer {
                chunks,
                calls,
                finish: &finish,
                usage: reply.usage,
                model,
                serial: cx.serial,
            };
            match (cx.wire, cx.stream) {
                (Wire::OpenAi, false) => json_ok(openai_body(&answer)),
                (Wire::OpenAi, true) => Rendered::Sse {
                    frames: openai_frames(&answer, cx.include_usage, true),
                    abort: false,
                },
                (Wire::Anthropic, false) => json_ok(anthropic_body(&answer)),
                (Wire::Anthropic, true) => Rendered::Sse {
                    frames: anthropic_frames(&answer, true),
                    abort: false,
                },
            }
        }
        Body::Status {
            status,
            retry_after,
            message,
        } => {
            let kind = match status {
                401 => "authentication_error",
                403 => "permission_error",
                429 => "rate_limit_error",
                500..=599 => "api_error",
                _ => "invalid_request_error",
            };
            let body = match cx.wire {
                Wire::OpenAi => json!({"error": {"message": message, "type": kind, "code": null}}),
                Wire::Anthropic => {
                    json!({"type": "error", "error": {"type": kind, "message": message}})
                }
            };
            Rendered::Full {
                status: *status,
                retry_after: *retry_after,
                content_type: "application/json",
                body: body.to_string(),
            }
        }
        Body::InvalidJson => Rendered::Full {
            status: 200,
            retry_after: None,
            content_type: "application/json",
            body: "{\"id\": \"broken\", \"choices\": [ this is not json".to_string(),
        },
        Body::Cut { chunks, abort } => {
            let answer = Answer {
                chunks,
                calls: &[],
                finish: "stop",
                usage: reply.usage,
                model,
                serial: cx.serial,
            };
            if cx.stream {
                let frames = match cx.wire {
                    Wire::OpenAi => openai_frames(&answer, false, false),
                    Wire::Anthropic => anthropic_frames(&answer, false),
                };
                Rendered::Sse {
                    frames,
                    abort: *abort,
                }
            } else {
                let full = match cx.wire {
                    Wire::OpenAi => openai_body(&answer),
                    Wire::Anthropic => anthropic_body(&answer),
                }
                .to_string();
                let half: String = full.chars().take(full.chars().count() / 2).collect();
                Rendered::Full {
                    status: 200,
                    retry_after: None,
                    content_type: "application/json",
                    body: half,
                }
            }
        }
        // Resolved by the server before rendering; answering it here would recurse.
        Body::Respond(_) => Rendered::Full {
            status: 500,
            retry_after: None,
            content_type: "application/json",
            body: json!({"error": {"message": "dbqa-fake-llm: a responder returned another responder"}})
                .to_string(),
        },
    }
}

struct Answer<'a> {
    chunks: &'a [String],
    calls: &'a [FakeCall],
    finish: &'a str,
    usage: (u64, u64),
    model: &'a str,
    serial: usize,
}

impl Answer<'_> {
    fn text(&self) -> Option<String> {
        (!self.chunks.is_empty()).then(|| self.chunks.concat())
    }
}

fn json_ok(body: Value) -> Rendered {
    Rendered::Full {
        status: 200,
        retry_after: None,
        content_type: "application/json",
        body: body.to_string(),
    }
}

fn openai_body(a: &Answer<'_>) -> Value {
    let mut message = json!({"role": "assistant", "content": a.text()});
    if !a.calls.is_empty() {
        let calls: Vec<Value> = a
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                json!({"id": format!("call_{i}"), "type": "function",
                       "function": {"name": c.name, "arguments": c.arguments}})
            })
            .collect();
        message["tool_calls"] = Value::Array(calls);
    }
    json!({
        "id": format!("chatcmpl-fake-{}", a.serial),
        "object": "chat.completion",
        "created": 0,
        "model": a.model,
        "choices": [{"index": 0, "message": message, "finish_reason": a.finish}],
        "usage": {"prompt_tokens": a.usage.0, "completion_tokens": a.usage.1,
                  "total_tokens": a.usage.0 + a.usage.1}
    })
}

fn openai_frames(a: &Answer<'_>, include_usage: bool, complete: bool) -> Vec<String> {
    let id = format!("chatcmpl-fake-{}", a.serial);
    let chunk = |delta: Value, finish: Value| {
        let value = json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": a.model,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {value}\n\n")
    };
    let mut frames = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    )];
    for text in a.chunks {
        frames.push(chunk(json!({"content": text}), Value::Null));
    }
    for (i, call) in a.calls.iter().enumerate() {
        frames.push(chunk(
            json!({"tool_calls": [{"index": i, "id": format!("call_{i}"), "type": "function",
                                   "function": {"name": call.name, "arguments": ""}}]}),
            Value::Null,
        ));
        for piece in fragments(&call.arguments, 7) {
            frames.push(chunk(
                json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}),
                Value::Null,
            ));
        }
    }
    if !complete {
        return frames;
    }
    frames.push(chunk(json!({}), json!(a.finish)));
    if include_usage {
        let value = json!({"id": id, "object": "chat.completion.chunk", "created": 0, "model": a.model,
                           "choices": [],
                           "usage": {"prompt_tokens": a.usage.0, "completion_tokens": a.usage.1,
                                     "total_tokens": a.usage.0 + a.usage.1}});
        frames.push(format!("data: {value}\n\n"));
    }
    frames.push("data: [DONE]\n\n".to_string());
    frames
}

fn anthropic_stop_reason(finish: &str) -> &str {
    match finish {
        "stop" => "end_turn",
        "tool_calls" => "tool_use",
        "length" => "max_tokens",
        other => other,
    }
}

fn tool_input(call: &FakeCall) -> Value {
    // Anthropic sends an object; invalid argument text is passed through as a string.
    serde_json::from_str(&call.arguments).unwrap_or_else(|_| Value::String(call.arguments.clone()))
}

fn anthropic_body(a: &Answer<'_>) -> Value {
    let mut content = Vec::new();
    if let Some(text) = a.text() {
        content.push(json!({"type": "text", "text": text}));
    }
    for (i, call) in a.calls.iter().enumerate() {
        content.push(
            json!({"type": "tool_use", "id": format!("toolu_{i}"), "name": call.name,
                            "input": tool_input(call)}),
        );
    }
    json!({
        "id": format!("msg_fake_{}", a.serial),
        "type": "message",
        "role": "assistant",
        "model": a.model,
        "content": content,
        "stop_reason": anthropic_stop_reason(a.finish),
        "stop_sequence": null,
        "usage": {"input_tokens": a.usage.0, "output_tokens": a.usage.1}
    })
}

fn anthropic_frames(a: &Answer<'_>, complete: bool) -> Vec<String> {
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut frames = vec![event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": format!("msg_fake_{}", a.serial), "type": "message", "role": "assistant",
            "model": a.model, "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": a.usage.0, "output_tokens": 1}}}),
    )];
    let mut index = 0;
    if !a.chunks.is_empty() {
        frames.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index,
                   "content_block": {"type": "text", "text": ""}}),
        ));
        frames.push(event("ping", json!({"type": "ping"})));
        for text in a.chunks {
            frames.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                       "delta": {"type": "text_delta", "text": text}}),
            ));
        }
        if !complete {
            return frames;
        }
        frames.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    for (i, call) in a.calls.iter().enumerate() {
        frames.push(event(
            "content_block_start",
            json!({"type": "content_block_start", "index": index,
                   "content_block": {"type": "tool_use", "id": format!("toolu_{i}"),
                                     "name": call.name, "input": {}}}),
        ));
        for piece in fragments(&call.arguments, 7) {
            frames.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index,
                       "delta": {"type": "input_json_delta", "partial_json": piece}}),
            ));
        }
        frames.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
        index += 1;
    }
    if !complete {
        return frames;
    }
    frames.push(event(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": anthropic_stop_reason(a.finish), "stop_sequence": null},
               "usage": {"output_tokens": a.usage.1}}),
    ));
    frames.push(event("message_stop", json!({"type": "message_stop"})));
    frames
}
