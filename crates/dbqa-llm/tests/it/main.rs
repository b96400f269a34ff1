//! Integration tests of dbqa-llm against the scripted fake server (`dbqa-fake-llm`).

// Helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod factory;
mod faults;
mod providers;
mod routing;
mod support;
mod tool_modes;
