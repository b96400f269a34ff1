//! Developer tasks: `cargo xtask <task>`. Each task lives in its own module.

use anyhow::{Result, bail};

mod bench;
mod bench_agent;
mod bench_cache;
mod bench_schema;
mod ci;
mod demo_db;
mod eval;
mod lexicon;
mod llm_smoke;
mod load_test;
mod spider_guard;
mod spider_schema;
mod tidy;

const USAGE: &str = "usage: cargo xtask <task> [args]

tasks:
  ci              run .ci/run: ready the services, then fmt, clippy, tests, rustdoc, Spider checks
  demo-db [PATH]  write the demo shop database (default: target/demo/shop.db)
  spider-schema   compare `dbqa schema --json` with Spider's tables.json
  spider-guard    check every Spider gold query through the guard
  tidy            source invariants: //! docs, cited files exist, no benchmark names
  bench [NAME]    run benchmarks (guard, schema, cache, agent)
  eval ...        evaluation on Spider (linking, answers)
  lexicon         write the agent's word relations from WordNet (--wordnet DIR)
  llm-smoke       smoke-test a real OpenAI-compatible server
  load-test       200 clients for 30 s against dbqa serve with the fake LLM";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    match task.as_str() {
        "" | "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        "ci" => ci::run(&rest),
        "spider-guard" => spider_guard::run(&rest),
        "bench" if rest.first().map(String::as_str) == Some("agent") => {
            bench_agent::run(rest.get(1..).unwrap_or_default())
        }
        "bench" if rest.first().map(String::as_str) == Some("cache") => {
            bench_cache::run(rest.get(1..).unwrap_or_default())
        }
        "bench" if rest.first().map(String::as_str) == Some("schema") => {
            bench_schema::run(rest.get(1..).unwrap_or_default())
        }
        "bench" if rest.first().map(String::as_str) == Some("guard") => {
            bench::guard(rest.get(1..).unwrap_or_default())
        }
        "bench" => bench::run(&rest),
        "demo-db" => demo_db::run(&rest),
        "eval" => eval::run(&rest),
        "lexicon" => lexicon::run(&rest),
        "llm-smoke" => llm_smoke::run(&rest),
        "load-test" => load_test::run(&rest),
        "spider-schema" => spider_schema::run(&rest),
        "tidy" => tidy::run(&rest),
        other => bail!("unknown task `{other}`\n\n{USAGE}"),
    }
    .map(|()| drop(rest))
}
