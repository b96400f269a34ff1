//! The context stage: what the model is told about the database for this question, and
//! the SQL-writing request around it.
//!
//! The whole schema goes in when its rendering fits `SCHEMA_TOKEN_BUDGET`. A larger one
//! is cut to the relevant tables ([`crate::selection`], steered by the glossary terms and
//! column values the question mentions), and when those still do not fit, the
//! lower-ranked tables lose their non-key columns before any table is left out. Every
//! other table is listed by name, so the model can ask for it.

use std::time::Instant;

use dbqa_core::{AnswerMode, ChatRequest, Message, Role, Schema, ToolMode};

use std::collections::BTreeMap;

use dbqa_core::Rows;

use crate::glossary::{Glossary, GlossaryEntry};
use crate::prompt::{self, PromptContext};
use crate::render::{
    SampleValues, SchemaFormat, render_create_table, render_table, render_table_pruned,
};
use crate::selection::{Boost, SchemaTerms, Selection, select_with};
use crate::state::{Knowledge, LoadedSchema, ms};
use crate::turn::Turn;
use crate::values::{ValueHint, ValueIndex};

/// Earlier questions of the session that also steer table selection.
const SELECTION_HISTORY: usize = 2;
/// What a glossary term the question uses adds to its table's score.
const GLOSSARY_BOOST: f32 = 4.0;
/// What a value the question mentions adds to its table's score.
const VALUE_BOOST: f32 = 2.0;
/// Columns kept (besides keys and mentioned ones) when a table must be cut.
const PRUNED_COLUMNS: usize = 6;

/// A rough token count: about four characters a token for schema text and English.
pub(crate) fn estimate_tokens(text: &str) -> usize {
    text.len().div_ceil(4)
}

/// The schema part of the prompt for one question, and what steered it.
#[derive(Debug, Clone)]
pub struct SchemaContext {
    /// The rendered tables (and the names of the others).
    pub text: String,
    /// The tables described (in full or cut), most relevant first.
    pub described: Vec<String>,
    /// Whether the whole schema fit the budget.
    pub whole_schema: bool,
    /// The selection, when the schema was over the budget.
    pub selection: Option<Selection>,
    /// The values the question mentions, rendered.
    pub hints: Vec<String>,
    /// The glossary entries it uses, rendered.
    pub glossary: Vec<String>,
}

/// What shapes the schema part of a prompt, besides the schema and the question.
#[derive(Debug, Clone, Copy)]
pub struct ContextSettings<'a> {
    /// The schema's text-column values (empty: no hints, no samples).
    pub values: &'a ValueIndex,
    /// Sample lists shown beside low-cardinality columns.
    pub samples: Option<&'a SampleValues>,
    /// Business terms.
    pub glossary: &'a Glossary,
    /// How tables are shown.
    pub format: SchemaFormat,
    /// `SCHEMA_TOKEN_BUDGET`.
    pub budget: usize,
    /// `MAX_TABLES_IN_CONTEXT`.
    pub max_tables: usize,
    /// `LAZY_SCHEMA_LOADING`: whether a schema over the budget is cut at all.
    pub lazy: bool,
}

/// The schema part of the prompt for `question` (`selection_text` adds earlier questions
/// of a session), exactly as the agent builds it: for tools that show or measure it
/// (`dbqa tables`, `cargo xtask eval linking`).
pub fn schema_context(
    schema: &Schema,
    terms: &SchemaTerms,
    settings: &ContextSettings<'_>,
    question: &str,
    selection_text: &str,
) -> SchemaContext {
    let glossary: Vec<&GlossaryEntry> = settings.glossary.matching(selection_text);
    // The user's own definition of a word beats a value that happens to spell it
    // ("shipped" the term, not `status = 'shipped'`).
    let hints: Vec<ValueHint> = settings
        .values
        .hints(question)
        .into_iter()
        .filter(|hint| !glossary.iter().any(|entry| entry.defines(&hint.words)))
        .collect();
    let hints = prefer_named_tables(hints, &crate::selection::tables_named(schema, question));
    let empty = BTreeMap::new();
    let view = View {
        schema,
        samples: settings.samples,
        examples: &empty,
        format: settings.format,
    };
    let all: Vec<usize> = (0..schema.tables.len()).collect();
    let whole = view.render(&all, &[]);
    let fits = estimate_tokens(&whole) <= settings.budget;
    let (text, described, selection) = if fits || !settings.lazy {
        let names = schema.tables.iter().map(|t| t.name.clone()).collect();
        (whole, names, None)
    } else {
        let boosts = boosts(&hints, &glossary);
        let selection = select_with(schema, terms, selection_text, settings.max_tables, &boosts);
        let ranked: Vec<usize> = selection
            .names()
            .iter()
            .filter_map(|n| schema.tables.iter().position(|t| t.name == *n))
            .collect();
        let (text, kept) = view.fit(&ranked, &hints, settings.budget);
        let described = kept
            .iter()
            .filter_map(|&i| schema.tables.get(i).map(|t| t.name.clone()))
            .collect();
        (text, described, Some(selection))
    };
    SchemaContext {
        text,
        described,
        whole_schema: fits,
        selection,
        hints: hints.iter().map(ValueHint::render).collect(),
        glossary: glossary.iter().map(|e| e.render()).collect(),
    }
}

impl Turn<'_> {
    /// The SQL-writing request: system prompt with the schema, history, question, tools.
    pub(crate) async fn context(&mut self, schema: &LoadedSchema) -> ChatRequest {
        self.status("writing SQL");
        let started = Instant::now();
        let knowledge = self.inner.knowledge(schema).await;
        self.timings.schema_ms += ms(started);
        let context = self.schema_context(&schema.schema, knowledge);
        let config = &self.inner.config;
        // Templates ride along with native tool calls. In text mode (small local models)
        // the deterministic sentence answers instead: asking for an `Answer:` line cost
        // them prompt and output tokens, and their sentences misstated grouped results.
        let templates =
            self.mode == AnswerMode::Template && self.inner.tool_mode() != ToolMode::Text;
        let examples: Vec<(String, String)> = self
            .prompt_examples
            .iter()
            .map(|e| (e.question.clone(), e.sql.clone()))
            .collect();
        // The date only when the question counts from it: stated always, it made a small
        // model's SQL for other questions vary from day to day.
        let today = crate::relative_time::mentions_relative_time(&self.selection_text())
            .then(prompt::today);
        let ctx = PromptContext {
            dialect: schema.schema.dialect,
            schema: &context.text,
            templates,
            hints: &context.hints,
            glossary: &context.glossary,
            examples: &examples,
            options: &self.inner.prompt,
            today: today.as_deref(),
        };
        let mut messages = std::mem::take(&mut self.history);
        messages.push(Message::user(self.question));
        let mut request = ChatRequest::new(&self.model, messages);
        request.system = Some(prompt::system_prompt(&ctx));
        request.tools = prompt::tools_for(templates, !context.whole_schema);
        request.temperature = Some(config.model.temperature);
        request.max_tokens = Some(config.model.max_tokens);
        request
    }

    /// The question with the session's last questions, for selection.
    fn selection_text(&self) -> String {
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
        text
    }

    /// The schema as the prompt shows it for this question.
    fn schema_context(&self, schema: &Schema, knowledge: &Knowledge) -> SchemaContext {
        let config = &self.inner.config;
        let fallback;
        let terms = match &knowledge.terms {
            Some(terms) => terms,
            None => {
                fallback = SchemaTerms::new(schema);
                &fallback
            }
        };
        let settings = ContextSettings {
            values: &knowledge.values,
            samples: Some(&knowledge.samples),
            glossary: &self.inner.glossary,
            format: self.inner.format,
            budget: config.schema_token_budget,
            max_tables: config.max_tables_in_context,
            lazy: config.lazy_schema_loading,
        };
        let mut context = schema_context(
            schema,
            terms,
            &settings,
            self.question,
            &self.selection_text(),
        );
        if self.inner.format == SchemaFormat::CreateTable && !knowledge.examples.is_empty() {
            // Example rows are read per agent; re-render the described tables with them.
            let view = View {
                schema,
                samples: Some(&knowledge.samples),
                examples: &knowledge.examples,
                format: self.inner.format,
            };
            if context.whole_schema {
                let all: Vec<usize> = (0..schema.tables.len()).collect();
                context.text = view.render(&all, &[]);
            }
        }
        context
    }
}

/// A value found in columns of several tables ("German": `customers.country` and
/// `orders.ship_country`) is hinted only in the tables the question names, when it names
/// some of them but not all: a hint for each draws a small model into a join, and a
/// filter, the question does not ask for.
fn prefer_named_tables(hints: Vec<ValueHint>, named: &[&str]) -> Vec<ValueHint> {
    let is_named = |hint: &ValueHint| named.iter().any(|t| t.eq_ignore_ascii_case(&hint.table));
    let keep: Vec<bool> = hints
        .iter()
        .map(|hint| {
            let same_words = hints.iter().filter(|h| h.words == hint.words);
            let (all, in_named) = same_words.fold((0, 0), |(all, in_named), h| {
                (all + 1, in_named + usize::from(is_named(h)))
            });
            in_named == 0 || in_named == all || is_named(hint)
        })
        .collect();
    hints
        .into_iter()
        .zip(keep)
        .filter_map(|(hint, keep)| keep.then_some(hint))
        .collect()
}

/// What the glossary and the mentioned values say about the tables.
fn boosts(hints: &[ValueHint], glossary: &[&GlossaryEntry]) -> Vec<Boost> {
    let mut boosts: Vec<Boost> = glossary
        .iter()
        .map(|e| Boost {
            table: e.table.clone(),
            score: GLOSSARY_BOOST,
            reason: format!("glossary \"{}\"", e.term),
        })
        .collect();
    boosts.extend(hints.iter().map(|h| Boost {
        table: h.table.clone(),
        score: VALUE_BOOST,
        reason: format!("value '{}' in {}", h.value, h.column),
    }));
    boosts
}

/// Renders tables of one schema in the prompt's format.
struct View<'a> {
    schema: &'a Schema,
    samples: Option<&'a SampleValues>,
    examples: &'a BTreeMap<String, Rows>,
    format: SchemaFormat,
}

impl View<'_> {
    fn samples(&self) -> Option<&SampleValues> {
        self.samples
    }

    /// The tables at `full` in full, those at `pruned` cut, the rest listed by name.
    fn render(&self, full: &[usize], pruned: &[(usize, String)]) -> String {
        let mut out = String::new();
        for &i in full {
            let Some(table) = self.schema.tables.get(i) else {
                continue;
            };
            let text = match pruned.iter().find(|(p, _)| *p == i) {
                Some((_, text)) => text.clone(),
                None => match self.format {
                    SchemaFormat::CreateTable | SchemaFormat::CreateTableBare => {
                        render_create_table(
                            table,
                            self.samples(),
                            self.examples.get(&table.name.to_lowercase()),
                        )
                    }
                    _ => render_table(table, self.samples()),
                },
            };
            out.push_str(&text);
            out.push('\n');
        }
        let others: Vec<&str> = self
            .schema
            .tables
            .iter()
            .enumerate()
            .filter(|(i, _)| !full.contains(i))
            .map(|(_, t)| t.name.as_str())
            .collect();
        if !others.is_empty() {
            out.push_str("Other tables (call describe_tables for their columns): ");
            out.push_str(&others.join(", "));
            out.push('\n');
        }
        out
    }

    /// The ranked tables within `budget`: cut the lowest-ranked tables' columns first,
    /// then leave out tables from the bottom, never the first. Also the tables kept.
    fn fit(&self, ranked: &[usize], hints: &[ValueHint], budget: usize) -> (String, Vec<usize>) {
        let mut full: Vec<usize> = ranked.to_vec();
        let mut pruned: Vec<(usize, String)> = Vec::new();
        let mut text = self.render(&full, &pruned);
        for &i in ranked.iter().rev() {
            if estimate_tokens(&text) <= budget {
                return (text, full);
            }
            let Some(table) = self.schema.tables.get(i) else {
                continue;
            };
            let keep = |name: &str| {
                hints
                    .iter()
                    .any(|h| h.table == table.name && h.column.eq_ignore_ascii_case(name))
                    || table
                        .columns
                        .iter()
                        .take(PRUNED_COLUMNS)
                        .any(|c| c.name.eq_ignore_ascii_case(name))
            };
            pruned.push((i, render_table_pruned(table, self.samples(), &keep)));
            text = self.render(&full, &pruned);
        }
        while estimate_tokens(&text) > budget && full.len() > 1 {
            full.pop();
            text = self.render(&full, &pruned);
        }
        (text, full)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::HintKind;

    fn hint(table: &str, column: &str, value: &str, words: &str) -> ValueHint {
        ValueHint {
            table: table.into(),
            column: column.into(),
            value: value.into(),
            kind: HintKind::Exact,
            words: words.into(),
        }
    }

    fn kept(hints: Vec<ValueHint>, named: &[&str]) -> Vec<String> {
        prefer_named_tables(hints, named)
            .iter()
            .map(ValueHint::render)
            .collect()
    }

    #[test]
    fn a_value_in_several_tables_is_hinted_in_the_ones_the_question_names() {
        let germany = || {
            vec![
                hint("customers", "country", "Germany", "german"),
                hint("orders", "ship_country", "Germany", "german"),
                hint("products", "name", "Kite", "kite"),
            ]
        };
        // "How many customers live in each German city?"
        assert_eq!(
            kept(germany(), &["customers"]),
            ["customers.country = 'Germany'", "products.name = 'Kite'"]
        );
        // "How many orders went to Germany?"
        assert_eq!(
            kept(germany(), &["orders"]),
            ["orders.ship_country = 'Germany'", "products.name = 'Kite'"]
        );
        // Neither table named, or both: every hint stays.
        assert_eq!(kept(germany(), &[]).len(), 3);
        assert_eq!(kept(germany(), &["customers", "orders"]).len(), 3);
    }
}
