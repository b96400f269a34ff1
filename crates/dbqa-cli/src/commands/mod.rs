//! One module per subcommand.

pub(crate) mod ask;
pub(crate) mod chat;
pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod examples;
pub(crate) mod mcp;
pub(crate) mod schema;
pub(crate) mod serve;
pub(crate) mod sql;
pub(crate) mod tables;
