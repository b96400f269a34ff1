//! Incremental server-sent-events decoding shared by the providers.
//!
//! Bytes from reqwest go through `eventsource-stream`; each event goes to a provider's
//! [`Decoder`], which turns it into [`StreamEvent`]s. A stream that ends before the
//! decoder saw its terminal event, breaks off, or goes quiet longer than the request
//! timeout yields [`LlmError::StreamInterrupted`] (or [`LlmError::Timeout`]) as its last item.

use std::collections::VecDeque;
use std::time::Duration;

use dbqa_core::{ChatStream, LlmError, StreamEvent};
use eventsource_stream::{Event, Eventsource};
use futures::StreamExt;

use crate::http::error_chain;

/// Turns a provider's SSE events into stream events.
pub(crate) trait Decoder: Send + 'static {
    /// Handles one event; may yield several stream events, or an error that ends the stream.
    fn feed(&mut self, event: &Event) -> Result<Vec<StreamEvent>, String>;

    /// Whether the terminal event was seen.
    fn finished(&self) -> bool;

    /// The name of the terminal event, for error messages.
    fn terminal(&self) -> &'static str;
}

struct State<D> {
    events: futures::stream::BoxStream<'static, Result<Event, String>>,
    decoder: D,
    pending: VecDeque<StreamEvent>,
    done: bool,
    provider: String,
    idle: Duration,
}

/// Decodes a successful streaming response.
pub(crate) fn decode<D: Decoder>(
    provider: &str,
    response: reqwest::Response,
    idle: Duration,
    decoder: D,
) -> ChatStream {
    let events = response
        .bytes_stream()
        .eventsource()
        .map(|item| item.map_err(|e| error_chain(&e)))
        .boxed();
    let state = State {
        events,
        decoder,
        pending: VecDeque::new(),
        done: false,
        provider: provider.to_string(),
        idle,
    };
    futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(event) = state.pending.pop_front() {
                return Some((Ok(event), state));
            }
            if state.done {
                return None;
            }
            let interrupted = |state: &State<D>, message: String| LlmError::StreamInterrupted {
                provider: state.provider.clone(),
                message,
            };
            let next = match tokio::time::timeout(state.idle, state.events.next()).await {
                Ok(next) => next,
                Err(_) => {
                    state.done = true;
                    let error = LlmError::Timeout {
                        provider: state.provider.clone(),
                        after: state.idle,
                    };
                    return Some((Err(error), state));
                }
            };
            match next {
                None => {
                    state.done = true;
                    if state.decoder.finished() {
                        return None;
                    }
                    let message = format!(
                        "the stream ended without its `{}` event",
                        state.decoder.terminal()
                    );
                    let error = interrupted(&state, message);
                    return Some((Err(error), state));
                }
                Some(Err(message)) => {
                    state.done = true;
                    let error = interrupted(&state, message);
                    return Some((Err(error), state));
                }
                Some(Ok(event)) => match state.decoder.feed(&event) {
                    Ok(events) => {
                        state.pending.extend(events);
                        if state.decoder.finished() {
                            state.done = true;
                        }
                    }
                    Err(message) => {
                        state.done = true;
                        let error = interrupted(&state, message);
                        return Some((Err(error), state));
                    }
                },
            }
        }
    })
    .boxed()
}
