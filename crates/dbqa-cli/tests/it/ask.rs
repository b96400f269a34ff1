//! `dbqa ask` and `dbqa tables` through the real binary: formats, streaming, errors and
//! exit codes.

use dbqa_fake_llm::{FakeLlm, Reply};
use serde_json::{Value, json};

use crate::dbqa;

fn run_sql(sql: &str, template: Option<&str>) -> Reply {
    let mut args = json!({ "sql": sql });
    if let Some(template) = template {
        args["answer_template"] = json!(template);
    }
    Reply::tool_call("run_sql", args)
}

/// Runs `dbqa` against the fake LLM; returns (exit code, stdout, stderr).
fn ask(home: &std::path::Path, fake: &FakeLlm, args: &[&str]) -> (i32, String, String) {
    ask_with_env(home, fake, &[], args)
}

/// [`ask`] with more environment variables.
fn ask_with_env(
    home: &std::path::Path,
    fake: &FakeLlm,
    env: &[(&str, &str)],
    args: &[&str],
) -> (i32, String, String) {
    let output = dbqa(home)
        .env("LLM_BASE_URL", fake.base_url())
        .env("LLM_MAX_RETRIES", "0")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn json_format_prints_the_full_response() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(run_sql(
        "SELECT COUNT(*) AS n FROM customers",
        Some("There are {n} customers."),
    ));
    let (code, out, err) = ask(
        home.path(),
        &fake,
        &["ask", "How many customers are there?", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let response: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(response["natural_response"], "There are 500 customers.");
    assert_eq!(response["rows"], json!([[500]]));
    assert_eq!(response["llm_calls"], 1);
    assert!(
        response["sql"]
            .as_str()
            .unwrap()
            .starts_with("SELECT COUNT(*) AS n FROM customers")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn piped_output_defaults_to_json() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(run_sql(
        "SELECT COUNT(*) AS n FROM products",
        Some("{n} products."),
    ));
    let (code, out, _) = ask(home.path(), &fake, &["ask", "How many products?"]);
    assert_eq!(code, 0);
    let response: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(response["natural_response"], "120 products.");
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_format_prints_the_rows() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(run_sql(
        "SELECT name FROM categories ORDER BY name LIMIT 3",
        Some("{name|list}"),
    ));
    let (code, out, err) = ask(
        home.path(),
        &fake,
        &["ask", "First three categories?", "--format", "csv"],
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0], "name");
}

#[tokio::test(flavor = "multi_thread")]
async fn markdown_and_table_formats_show_answer_sql_and_rows() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    let sql = "SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status";
    fake.push(run_sql(sql, Some("Orders by status: {status|list}.")));
    fake.push(run_sql(sql, Some("Orders by status: {status|list}.")));
    let (code, out, _) = ask(
        home.path(),
        &fake,
        &[
            "ask",
            "Orders per status?",
            "--format",
            "markdown",
            "--show-sql",
        ],
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("Orders by status: cancelled, delivered, pending, shipped."),
        "{out}"
    );
    assert!(out.contains("```sql\nSELECT status"), "{out}");
    assert!(out.contains("| status | n |"), "{out}");

    let (code, out, _) = ask(
        home.path(),
        &fake,
        &[
            "ask",
            "Orders per status, again?",
            "--format",
            "table",
            "--show-sql",
            "--no-stream",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.starts_with("Orders by status:"), "{out}");
    assert!(
        out.contains("SELECT status, COUNT(*) AS n FROM orders"),
        "{out}"
    );
    assert!(out.contains("│ delivered"), "{out}");
    assert!(
        !out.contains('\u{1b}'),
        "NO_COLOR and a pipe mean no colour: {out:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_continues_across_invocations() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(run_sql(
        "SELECT COUNT(*) AS n FROM customers WHERE country = 'France'",
        Some("{n} customers in France."),
    ));
    fake.push(run_sql(
        "SELECT COUNT(*) AS n FROM customers WHERE country = 'Germany'",
        Some("{n} customers in Germany."),
    ));
    let first = ask(
        home.path(),
        &fake,
        &["ask", "How many customers in France?", "--session", "s1"],
    );
    assert_eq!(first.0, 0, "{}", first.2);
    let second = ask(
        home.path(),
        &fake,
        &["ask", "And in Germany?", "--session", "s1"],
    );
    assert_eq!(second.0, 0, "{}", second.2);
    let body = fake.requests().last().unwrap().body.to_string();
    assert!(
        body.contains("How many customers in France?"),
        "history missing: {body}"
    );
    assert!(home.path().join("dbqa/sessions.db").exists());
    let response: Value = serde_json::from_str(&second.1).unwrap();
    assert_eq!(response["session_id"], "s1");
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_sql_exits_one() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    for _ in 0..3 {
        fake.push(run_sql("DELETE FROM customers", None));
    }
    let (code, _, err) = ask(home.path(), &fake, &["ask", "Delete every customer"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn without_an_llm_ask_says_how_to_configure_one() {
    let home = tempfile::tempdir().unwrap();
    let output = dbqa(home.path())
        .args(["ask", "How many customers?"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    for hint in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "LLM_PROVIDER=ollama",
        "LLM_BASE_URL",
    ] {
        assert!(err.contains(hint), "{hint} missing from {err}");
    }
}

#[test]
fn an_unreachable_llm_exits_three() {
    let home = tempfile::tempdir().unwrap();
    let output = dbqa(home.path())
        .env("LLM_BASE_URL", "http://127.0.0.1:1/v1")
        .env("LLM_MAX_RETRIES", "0")
        .args(["ask", "How many customers?"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn tables_json_shows_selection_scores_and_tokens() {
    let home = tempfile::tempdir().unwrap();
    let output = dbqa(home.path())
        // The demo shop fits the default budget whole: a small one makes it select.
        .env("SCHEMA_TOKEN_BUDGET", "150")
        .args([
            "tables",
            "Which products sold best?",
            "--json",
            "--max-tables",
            "3",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"products"), "{names:?}");
    assert!(
        names.len() <= 3 || report["whole_schema"] == true,
        "{report}"
    );
    let prompt = report["prompt_tokens"].as_u64().unwrap();
    let full = report["full_schema_prompt_tokens"].as_u64().unwrap();
    assert!(prompt > 0 && prompt < full, "{prompt} vs {full}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let output = dbqa(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("dbqa"),
            "{shell}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn enable_streaming_streams_the_written_answer_when_piped() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    let listing = "SELECT name FROM categories ORDER BY name LIMIT 2";
    for streaming in ["false", "true"] {
        fake.push(run_sql(listing, None));
        fake.push(Reply::stream_text([
            "The first two ",
            "categories are listed.",
        ]));
        let output = dbqa(home.path())
            .env("LLM_BASE_URL", fake.base_url())
            .env("ENABLE_STREAMING", streaming)
            .env("ANSWER_MODE", "llm")
            .args(["ask", "Which categories come first?", "--format", "table"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(
            out.starts_with("The first two categories are listed."),
            "{out}"
        );
        let answer_call = fake.requests().last().unwrap().clone();
        assert_eq!(
            answer_call.is_stream(),
            streaming == "true",
            "ENABLE_STREAMING={streaming}"
        );
    }
}

/// Flags beat the environment: `--db` over `DATABASE_URL` (which points nowhere here),
/// `--model` over `BALANCED_MODEL`; the model the LLM server is asked for is the flag's.
#[tokio::test(flavor = "multi_thread")]
async fn flags_beat_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let shop = home.path().join("flag-shop.db");
    dbqa_schema::demo::create_demo_database(&shop).unwrap();
    let fake = FakeLlm::start().await;
    fake.push(run_sql(
        "SELECT COUNT(*) AS n FROM customers",
        Some("There are {n} customers."),
    ));
    let db_flag = format!("sqlite://{}", shop.display());
    let output = dbqa(home.path())
        .env("LLM_BASE_URL", fake.base_url())
        .env("DATABASE_URL", "sqlite:///nonexistent/dbqa/env.db")
        .env("MODEL_STRATEGY", "fixed")
        .env("BALANCED_MODEL", "env-model")
        .args([
            "ask",
            "How many customers are there?",
            "--db",
            &db_flag,
            "--model",
            "flag-model",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let response: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(response["natural_response"], "There are 500 customers.");
    assert_eq!(response["model"], "flag-model");
    assert_eq!(fake.last_request().unwrap().model(), "flag-model");

    // Without the flag the environment's database is used, and it does not exist.
    let output = dbqa(home.path())
        .env("LLM_BASE_URL", fake.base_url())
        .env("DATABASE_URL", "sqlite:///nonexistent/dbqa/env.db")
        .args(["schema"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("env.db"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `--chart` writes the result's chart as SVG or PNG; a result with nothing to draw
/// writes nothing and says so; another extension is a usage error before any LLM call.
#[tokio::test(flavor = "multi_thread")]
async fn chart_is_written_as_svg_or_png() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    let per_country =
        "SELECT country, COUNT(*) AS n FROM customers GROUP BY country ORDER BY n DESC";
    fake.push(run_sql(per_country, None));
    fake.push(Reply::text("Most customers are in the first country."));
    fake.push(run_sql(per_country, None));
    fake.push(Reply::text("Most customers are in the first country."));
    fake.push(run_sql(
        "SELECT COUNT(*) AS n FROM customers",
        Some("{n} customers."),
    ));
    let svg = home.path().join("countries.svg");
    let png = home.path().join("countries.png");
    let question = "How many customers per country?";
    for path in [&svg, &png] {
        let file = path.to_str().unwrap();
        let (code, _, err) = ask(
            home.path(),
            &fake,
            &["ask", question, "--format", "json", "--chart", file],
        );
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("chart:"), "{err}");
    }
    let drawn = std::fs::read_to_string(&svg).unwrap();
    assert!(
        drawn.starts_with("<svg") && drawn.contains("n by country"),
        "{drawn}"
    );
    let image = std::fs::read(&png).unwrap();
    assert_eq!(&image[1..4], b"PNG");

    let nothing = home.path().join("count.svg");
    let (code, out, err) = ask(
        home.path(),
        &fake,
        &[
            "ask",
            "How many customers?",
            "--format",
            "json",
            "--chart",
            nothing.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let response: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(response["chart"], Value::Null);
    assert!(err.contains("no chart"), "{err}");
    assert!(!nothing.exists());

    let requests = fake.request_count();
    let (code, _, err) = ask(home.path(), &fake, &["ask", question, "--chart", "out.gif"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(".svg or .png"), "{err}");
    assert_eq!(fake.request_count(), requests);
}

/// A local server that serves one model (llama.cpp, a one-model Ollama) is asked for it
/// by name when no model is configured, and the answer reports the model that answered;
/// a server listing several, or a configured model, leaves the configured name.
#[tokio::test(flavor = "multi_thread")]
async fn the_one_model_a_local_server_serves_is_asked_for() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    let question = ["ask", "How many customers are there?", "--format", "json"];
    let count = || {
        run_sql(
            "SELECT COUNT(*) AS n FROM customers",
            Some("There are {n}."),
        )
    };

    fake.serve_models(&["qwen2.5-coder-1.5b-instruct"]);
    fake.push(count());
    let (code, out, err) = ask(home.path(), &fake, &question);
    assert_eq!(code, 0, "{err}");
    let response: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(response["model"], "qwen2.5-coder-1.5b-instruct");
    assert_eq!(
        fake.last_request().unwrap().model(),
        "qwen2.5-coder-1.5b-instruct"
    );

    fake.serve_models(&["coder", "embedder"]);
    fake.push(count());
    let (code, out, err) = ask(home.path(), &fake, &question);
    assert_eq!(code, 0, "{err}");
    let response: Value = serde_json::from_str(&out).unwrap();
    let asked = fake.last_request().unwrap().model().to_string();
    assert!(!["coder", "embedder"].contains(&asked.as_str()), "{asked}");
    assert_eq!(response["model"], asked.as_str());

    fake.serve_models(&["qwen2.5-coder-1.5b-instruct"]);
    fake.push(count());
    let output = dbqa(home.path())
        .env("LLM_BASE_URL", fake.base_url())
        .env("MODEL_STRATEGY", "fixed")
        .env("BALANCED_MODEL", "chosen-model")
        .args(question)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(fake.last_request().unwrap().model(), "chosen-model");
}

/// A server that answers tools in text (llama.cpp, Ollama without tool support) is found
/// once: later `dbqa ask` runs start in `text` mode (no tool definitions, one call), until
/// `LLM_TOOL_MODE` is set explicitly.
#[tokio::test(flavor = "multi_thread")]
async fn a_server_without_tool_calls_is_remembered_across_runs() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    let count = "SELECT COUNT(*) AS n FROM customers";
    fake.push(Reply::text(format!(
        r#"{{"name": "run_sql", "arguments": {{"sql": "{count}"}}}}"#
    )));
    fake.push(Reply::text(format!("```sql\n{count}\n```")));
    fake.push(Reply::text(format!(
        r#"{{"name": "run_sql", "arguments": {{"sql": "{count}"}}}}"#
    )));
    let question = ["ask", "How many customers are there?", "--format", "json"];
    for run in ["detects", "remembers"] {
        let (code, out, err) = ask(home.path(), &fake, &question);
        assert_eq!(code, 0, "{run}: {err}");
        let response: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(response["rows"], json!([[500]]), "{run}");
        assert_eq!(response["llm_calls"], 1, "{run}");
    }
    let (code, _, err) = ask_with_env(home.path(), &fake, &[("LLM_TOOL_MODE", "auto")], &question);
    assert_eq!(code, 0, "{err}");
    let requests = fake.requests();
    let offered = |i: usize| !requests[i].tool_names().is_empty();
    assert_eq!(requests.len(), 3);
    assert!(offered(0), "the first run offers tools");
    assert!(!offered(1), "the second run starts in text mode");
    assert!(offered(2), "an explicit LLM_TOOL_MODE is obeyed");
    let memory = std::fs::read_to_string(home.path().join("dbqa/llm-servers.json")).unwrap();
    assert!(
        memory.contains(&fake.base_url()) && memory.contains("text"),
        "{memory}"
    );
}

/// A reply in words proves nothing about tool calls: it is not remembered,
/// and the next run offers tools again.
#[tokio::test(flavor = "multi_thread")]
async fn a_reply_without_sql_is_not_remembered() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    let words = "I answer questions about this database's data.";
    fake.push(Reply::text(words));
    fake.push(Reply::text(words));
    let (code, out, err) = ask(
        home.path(),
        &fake,
        &[
            "ask",
            "Write me a short poem about the sea",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(words), "{out}");
    assert_eq!(fake.request_count(), 2, "asked again in text mode");
    fake.push(run_sql("SELECT COUNT(*) AS n FROM customers", None));
    assert!(!home.path().join("dbqa/llm-servers.json").exists());
    let (code, out, err) = ask(
        home.path(),
        &fake,
        &["ask", "How many customers are there?", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let response: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(response["rows"], json!([[500]]));
    let requests = fake.requests();
    assert!(
        !requests.last().unwrap().tool_names().is_empty(),
        "tools offered again"
    );
}
