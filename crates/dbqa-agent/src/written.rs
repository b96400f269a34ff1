//! The answer stage: the answer in words, per answer mode. In `template` mode (the
//! default) no second call is made: the model's template filled from the rows, an earlier
//! written answer when the rows are the same, else the deterministic sentence
//! ([`crate::sentence`]). In `llm` mode a second (streamed) LLM call writes it. In privacy mode (`SEND_ROWS_TO_LLM=false`) no call ever sees the rows: the
//! sentence answers whatever the result.

use std::time::Instant;

use dbqa_core::{AnswerMode, StreamEvent, Usage};
use futures::StreamExt;

use crate::state::ms;
use crate::turn::{Ran, Turn};
use crate::{AgentEvent, Result, fill_template};
use crate::{prompt, sentence};

impl Turn<'_> {
    /// The answer in words; the flag says whether an LLM wrote it for this turn.
    pub(crate) async fn natural_answer(&mut self, ran: &Ran) -> Result<(Option<String>, bool)> {
        if self.mode == AnswerMode::None {
            return Ok((None, false));
        }
        if self.sql_from_person {
            return Ok((Some(sentence::any(&ran.rows)), false));
        }
        let earlier = self.earlier_answer(&ran.rows).map(str::to_string);
        if let Some(earlier) = earlier.as_ref().filter(|_| ran.template.is_none()) {
            return Ok((Some(earlier.clone()), false));
        }
        if self.mode == AnswerMode::Template
            && let Some(template) = &ran.template
        {
            match fill_template(template, &ran.rows) {
                Ok(text) => return Ok((Some(text), false)),
                Err(e) => tracing::debug!(%e, "answer template not usable; writing the answer"),
            }
        }
        if let Some(earlier) = earlier {
            return Ok((Some(earlier), false));
        }
        // Only `llm` mode pays for a second call: in `template` mode the rows themselves
        // are the answer, and the sentence says what they hold.
        if self.mode == AnswerMode::Template || !self.inner.config.safety.send_rows_to_llm {
            return Ok((Some(sentence::any(&ran.rows)), false));
        }
        Ok((self.write_answer(ran).await?, true))
    }

    /// The second LLM call: writes the answer from the rows, streamed when a sink listens.
    async fn write_answer(&mut self, ran: &Ran) -> Result<Option<String>> {
        let config = &self.inner.config.model;
        let model = self
            .response
            .model
            .clone()
            .filter(|_| self.is_cache_hit())
            .unwrap_or_else(|| self.model.clone());
        let mut request = prompt::answer_request(&model, self.question, &ran.sql, &ran.rows);
        request.temperature = Some(config.temperature);
        request.max_tokens = Some(config.max_tokens);
        self.status("writing the answer");
        let started = Instant::now();
        let written = match self.sink {
            Some(_) => self.stream_answer(&request).await,
            None => self
                .inner
                .llm
                .chat(&request)
                .await
                .map(|reply| (reply.content.unwrap_or_default(), reply.usage))
                .map_err(Into::into),
        };
        self.timings.llm_ms += ms(started);
        let (text, usage) = written?;
        self.inner.stats.llm_call(usage);
        self.response.usage.add(usage);
        self.response.llm_calls += 1;
        if self.response.model.is_none() {
            self.response.model = Some(model);
        }
        let text = text.trim().to_string();
        Ok((!text.is_empty()).then_some(text))
    }

    /// The written answer as a stream of `Token` events.
    async fn stream_answer(&self, request: &dbqa_core::ChatRequest) -> Result<(String, Usage)> {
        let mut stream = self.inner.llm.chat_stream(request).await?;
        let mut text = String::new();
        let mut usage = Usage::default();
        while let Some(event) = stream.next().await {
            match event? {
                StreamEvent::TextDelta { text: delta } => {
                    text.push_str(&delta);
                    self.emit(AgentEvent::Token { text: delta });
                }
                StreamEvent::Finished { usage: u, .. } => usage = u,
                StreamEvent::ToolCall { .. } => {}
            }
        }
        Ok((text, usage))
    }
}
