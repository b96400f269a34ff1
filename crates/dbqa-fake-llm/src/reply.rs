//! Scripted replies: what the fake server answers to one request.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::RecordedRequest;

/// A function that builds a reply from the request it answers.
pub type Responder = Arc<dyn Fn(&RecordedRequest) -> Reply + Send + Sync>;

/// One scripted answer.
///
/// It is rendered in the wire format of the path called (OpenAI Chat Completions or
/// Anthropic Messages), as a JSON body or as server-sent events when the request asked for
/// `stream: true` (or the reply was built with [`Reply::streamed`]).
#[derive(Clone)]
pub struct Reply {
    pub(crate) body: Body,
    pub(crate) delay: Duration,
    pub(crate) stream: Option<bool>,
    pub(crate) usage: (u64, u64),
    pub(crate) model: Option<String>,
}

/// A tool call the fake model makes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FakeCall {
    pub(crate) name: String,
    /// The argument text exactly as sent (may be invalid JSON on purpose).
    pub(crate) arguments: String,
}

#[derive(Clone)]
pub(crate) enum Body {
    /// A normal answer: text (in streamed chunks when streaming) and tool calls.
    Message {
        chunks: Vec<String>,
        calls: Vec<FakeCall>,
        finish: Option<String>,
    },
    /// An HTTP error in the provider's error format.
    Status {
        status: u16,
        retry_after: Option<u64>,
        message: String,
    },
    /// A 200 response whose body is not valid JSON.
    InvalidJson,
    /// Text chunks, then the body breaks off (`abort`) or just ends, without the terminal event.
    Cut { chunks: Vec<String>, abort: bool },
    /// Computed from the request.
    Respond(Responder),
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.body {
            Body::Message { .. } => "message",
            Body::Status { .. } => "status",
            Body::InvalidJson => "invalid_json",
            Body::Cut { .. } => "cut",
            Body::Respond(_) => "responder",
        };
        f.debug_struct("Reply")
            .field("kind", &kind)
            .field("delay", &self.delay)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl Reply {
    fn new(body: Body) -> Self {
        Self {
            body,
            delay: Duration::ZERO,
            stream: None,
            usage: (12, 7),
            model: None,
        }
    }

    fn answer(chunks: Vec<String>, calls: Vec<FakeCall>) -> Self {
        Self::new(Body::Message {
            chunks,
            calls,
            finish: None,
        })
    }

    /// A plain text answer (streamed as one chunk when the request streams).
    pub fn text(text: impl Into<String>) -> Self {
        Self::answer(vec![text.into()], Vec::new())
    }

    /// A text answer streamed in these chunks (sent whole, concatenated, to a non-streaming request).
    pub fn stream_text<S: Into<String>>(chunks: impl IntoIterator<Item = S>) -> Self {
        Self::answer(chunks.into_iter().map(Into::into).collect(), Vec::new())
    }

    /// One tool call with these JSON arguments.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Self::tool_calls([(name.into(), arguments)])
    }

    /// Several tool calls in one answer.
    pub fn tool_calls<S: Into<String>>(calls: impl IntoIterator<Item = (S, Value)>) -> Self {
        let calls = calls
            .into_iter()
            .map(|(name, arguments)| FakeCall {
                name: name.into(),
                arguments: arguments.to_string(),
            })
            .collect();
        Self::answer(Vec::new(), calls)
    }

    /// A tool call whose argument text is sent exactly as given, e.g. invalid JSON.
    pub fn tool_call_raw(name: impl Into<String>, arguments: impl Into<String>) -> Self {
        Self::answer(
            Vec::new(),
            vec![FakeCall {
                name: name.into(),
                arguments: arguments.into(),
            }],
        )
    }

    /// A tool call that is always streamed, its arguments in small fragments.
    pub fn stream_tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Self::tool_call(name, arguments).streamed()
    }

    /// `run_sql` called with the SQL `sql` computes from the request (e.g. the gold SQL of
    /// the question found in [`RecordedRequest::last_user_text`]).
    pub fn auto_sql(sql: impl Fn(&RecordedRequest) -> String + Send + Sync + 'static) -> Self {
        Self::respond(move |request| {
            Reply::tool_call("run_sql", serde_json::json!({ "sql": sql(request) }))
        })
    }

    /// A reply computed from the request by `responder`.
    pub fn respond(responder: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static) -> Self {
        Self::new(Body::Respond(Arc::new(responder)))
    }

    /// An HTTP error with this status, in the provider's error format.
    pub fn status(status: u16) -> Self {
        Self::new(Body::Status {
            status,
            retry_after: None,
            message: format!("fake error with status {status}"),
        })
    }

    /// A text answer sent only after `delay` (to trigger client timeouts).
    pub fn delay(delay: Duration) -> Self {
        Self::text("sorry for the wait").delayed(delay)
    }

    /// A 200 response whose body is not JSON.
    pub fn invalid_json() -> Self {
        Self::new(Body::InvalidJson)
    }

    /// A stream that sends these text chunks and then breaks off (the connection is
    /// aborted, without the terminal event). To a non-streaming request: a truncated body.
    pub fn cut_stream<S: Into<String>>(chunks: impl IntoIterator<Item = S>) -> Self {
        Self::new(Body::Cut {
            chunks: chunks.into_iter().map(Into::into).collect(),
            abort: true,
        })
    }

    /// A stream that sends these text chunks and ends cleanly but without its terminal
    /// event (`[DONE]` / `message_stop`).
    pub fn truncated_stream<S: Into<String>>(chunks: impl IntoIterator<Item = S>) -> Self {
        Self::new(Body::Cut {
            chunks: chunks.into_iter().map(Into::into).collect(),
            abort: false,
        })
    }

    /// Adds a `Retry-After: seconds` header (for [`Reply::status`]).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let Body::Status { retry_after, .. } = &mut self.body {
            *retry_after = Some(seconds);
        }
        self
    }

    /// Sets the error message (for [`Reply::status`]).
    pub fn message(mut self, text: impl Into<String>) -> Self {
        if let Body::Status { message, .. } = &mut self.body {
            *message = text.into();
        }
        self
    }

    /// Adds text before the tool calls of this answer.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        if let Body::Message { chunks, .. } = &mut self.body {
            chunks.insert(0, text.into());
        }
        self
    }

    /// Overrides the finish reason (OpenAI spelling, e.g. `length`; mapped for Anthropic).
    pub fn finish_reason(mut self, reason: impl Into<String>) -> Self {
        if let Body::Message { finish, .. } = &mut self.body {
            *finish = Some(reason.into());
        }
        self
    }

    /// Waits this long before answering.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Answers as a stream whatever the request says.
    pub fn streamed(mut self) -> Self {
        self.stream = Some(true);
        self
    }

    /// The token usage reported (default: 12 prompt, 7 completion).
    pub fn usage(mut self, prompt_tokens: u64, completion_tokens: u64) -> Self {
        self.usage = (prompt_tokens, completion_tokens);
        self
    }

    /// The model name reported (default: the model the request named).
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }
}

/// Splits `text` into pieces of at most `size` characters (at least one piece).
pub(crate) fn fragments(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}
