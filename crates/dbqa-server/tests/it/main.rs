//! Integration tests of dbqa-server: the HTTP API on an ephemeral port with a real HTTP
//! client and the fake LLM, two servers sharing Redis, the web page in headless
//! Chromium, and the MCP server driven by the official Python MCP client.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod http;
mod limits;
mod mcp;
mod scale;
mod support;
