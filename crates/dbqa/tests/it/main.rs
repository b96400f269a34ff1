//! Documentation checks: the guides in `docs/` cannot drift from the code.
//!
//! - `configuration`: the variables of docs/CONFIGURATION.md are exactly the ones the
//!   configuration code reads;
//! - `troubleshooting`: every error quoted in docs/TROUBLESHOOTING.md is produced here by
//!   the real code, and every error produced here is quoted there;
//! - `shell_blocks`: every `sh` block of the guides runs, against the demo database and
//!   the fake LLM server.

// Test support panics with a message on a broken fixture; that is its job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod configuration;
mod redaction;
mod shell_blocks;
mod support;
mod troubleshooting;
