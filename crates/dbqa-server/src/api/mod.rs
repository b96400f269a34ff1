//! The API's handlers, by what they are about: questions (`query`, and `stream` for
//! server-sent events), SQL a person wrote (`sql`), verified examples and
//! feedback (`examples`), chat sessions (`sessions`), and operations (`ops`: schema,
//! statistics, the OpenAPI document, probes, metrics, the page).

pub(crate) mod examples;
pub(crate) mod ops;
pub(crate) mod query;
pub(crate) mod sessions;
pub(crate) mod sql;
pub(crate) mod stream;
