//! placeholder (being written)
mod error;
mod prompt;
mod relevance;
mod render;
mod response;
mod screen;
mod stats;
mod template;
#[cfg(test)]
mod testutil;

pub use error::{Error, Result};
pub use prompt::{
    DESCRIBE_TABLES, PromptContext, RUN_SQL, answer_request, rows_as_data, sql_error_message,
    sql_result_message, system_prompt, tools,
};
pub use relevance::{ScoredTable, Selection, select_tables};
pub use render::{SampleValues, render_schema, render_table};
pub use response::{AgentEvent, CacheLevel, QueryOptions, QueryResponse, Timings};
pub use screen::{Casual, InjectionKind, InjectionSignal, detect_casual, detect_injection};
pub use stats::{LatencySummary, RESERVOIR, Stage, Stats, StatsRecorder};
pub use template::{TemplateError, fill_template};
