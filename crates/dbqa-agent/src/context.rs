//! The context stage: what the model is told about the database for this question (the
//! relevant tables, rendered with sample values) and the SQL-writing request around it.

use std::time::Instant;

use dbqa_core::{AnswerMode, ChatRequest, Message, Role, ToolMode};

use crate::prompt::{self, PromptContext};
use crate::render::{SampleValues, render_schema};
use crate::select_tables;
use crate::state::{Inner, LoadedSchema, ms};
use crate::turn::Turn;

/// Earlier questions of the session that also steer table selection.
const SELECTION_HISTORY: usize = 2;

impl Turn<'_> {
    /// The SQL-writing request: system prompt with the schema, history, question, tools.
    pub(crate) async fn context(&mut self, schema: &LoadedSchema) -> ChatRequest {
        self.status("writing SQL");
        let described = self.described_tables(schema);
        let sample_started = Instant::now();
        let samples = samples_for(self.inner, schema, &described).await;
        self.timings.schema_ms += ms(sample_started);
        let names: Vec<&str> = described.iter().map(String::as_str).collect();
        let rendered = render_schema(&schema.schema, &names, Some(&samples));
        let config = &self.inner.config;
        // A fenced SQL block (text mode) has nowhere to put a template: the answer is written.
        let templates =
            self.mode == AnswerMode::Template && config.model.tool_mode != ToolMode::Text;
        let ctx = PromptContext {
            dialect: schema.schema.dialect,
            max_rows: config.safety.max_result_rows,
            schema: &rendered,
            templates,
        };
        let mut messages = std::mem::take(&mut self.history);
        messages.push(Message::user(self.question));
        let mut request = ChatRequest::new(&self.model, messages);
        request.system = Some(prompt::system_prompt(&ctx));
        request.tools = prompt::tools(templates);
        request.temperature = Some(config.model.temperature);
        request.max_tokens = Some(config.model.max_tokens);
        request
    }

    /// The tables described in full: the relevant ones, or all of them without lazy loading.
    fn described_tables(&self, schema: &LoadedSchema) -> Vec<String> {
        let config = &self.inner.config;
        if !config.lazy_schema_loading {
            return schema
                .schema
                .tables
                .iter()
                .map(|t| t.name.clone())
                .collect();
        }
        let mut text = self.question.to_string();
        for earlier in self
            .history
            .iter()
            .rev()
            .filter(|m| m.role == Role::User)
            .take(SELECTION_HISTORY)
        {
            text.push(' ');
            text.push_str(&earlier.content);
        }
        select_tables(&schema.schema, &text, config.max_tables_in_context)
            .tables
            .into_iter()
            .map(|t| t.name)
            .collect()
    }
}

/// The sample values of `tables`, reading those not read yet; none at all in privacy
/// mode (`SEND_ROWS_TO_LLM=false`).
pub(crate) async fn samples_for(
    inner: &Inner,
    loaded: &LoadedSchema,
    tables: &[String],
) -> SampleValues {
    if !inner.config.safety.send_rows_to_llm {
        return SampleValues::new();
    }
    let mut samples = loaded.samples.lock().await;
    for name in tables {
        let key = name.to_lowercase();
        if samples.contains_key(&key) {
            continue;
        }
        let values = match loaded.schema.table(name) {
            Some(table) => crate::samples::fetch(inner.db.as_ref(), &loaded.guard, table).await,
            None => Default::default(),
        };
        samples.insert(key, values);
    }
    tables
        .iter()
        .filter_map(|t| {
            samples
                .get(&t.to_lowercase())
                .map(|v| (t.to_lowercase(), v.clone()))
        })
        .collect()
}
