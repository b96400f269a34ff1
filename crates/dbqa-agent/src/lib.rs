//! placeholder (being written)
mod agent;
mod builder;
mod error;
mod llm;
mod prompt;
mod relevance;
mod render;
mod response;
mod run;
mod samples;
mod screen;
mod session;
mod stats;
mod template;
#[cfg(test)]
mod testutil;
mod turn;

pub use agent::{DatabaseQueryAgent, Relationship, SchemaInfo};
pub use builder::AgentBuilder;
pub use error::{Error, Result};
pub use prompt::{
    DESCRIBE_TABLES, PromptContext, RUN_SQL, answer_request, rows_as_data, sql_error_message,
    sql_result_message, system_prompt, tools,
};
pub use relevance::{ScoredTable, Selection, select_tables};
pub use render::{SampleValues, render_schema, render_table};
pub use response::{AgentEvent, CacheLevel, QueryOptions, QueryResponse, Timings};
pub use screen::{Casual, InjectionKind, InjectionSignal, detect_casual, detect_injection};
pub use session::ChatSession;
pub use stats::{LatencySummary, RESERVOIR, Stage, Stats, StatsRecorder};
pub use template::{TemplateError, fill_template};
