//! The web page in headless Chromium (Playwright's `playwright-core` over the system
//! `chromium`): the chat (streamed answers, SQL, tables, sessions) and what an analyst
//! does with an answer (charts, edited SQL, exports, the schema panel, 👍). Screenshots
//! go to `target/dbqa-server/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dbqa_fake_llm::{FakeLlm, Reply};
use dbqa_server::ServeOptions;
use serde_json::{Value, json};

use crate::support::{FRANCE, Server, agent, demo_db, forced, run_sql, workspace_root};

/// The browser harness's directory and Chromium, or `None` (with a line saying how to
/// install them) when they are missing and not required.
fn harness() -> Option<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let has_node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let missing: Vec<&str> = [
        (!Path::new(&chromium).exists()).then_some("chromium"),
        (!has_node).then_some("node"),
        (!dir.join("node_modules/playwright-core").exists()).then_some("playwright-core"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return Some((dir, chromium));
    }
    let how =
        "apt-get install -y chromium nodejs npm && (cd crates/dbqa-server/tests/browser && npm ci)";
    if forced("DBQA_BROWSER_TESTS") {
        panic!("DBQA_BROWSER_TESTS=1 but {missing:?} missing; install with `{how}`");
    }
    eprintln!(
        "SKIPPED: browser test ({missing:?} missing; install with `{how}`, set DBQA_BROWSER_TESTS=1 to require it)"
    );
    None
}

/// Runs a harness script against `server` with `args` after the base URL; its report
/// (the last stdout line, as JSON).
async fn run_script(
    (dir, chromium): &(PathBuf, String),
    script: &str,
    server: &Server,
    args: &[&Path],
    env: &[(&str, &str)],
) -> Value {
    let mut command = tokio::process::Command::new("node");
    command
        .arg(dir.join(script))
        .arg(server.url(""))
        .args(args)
        .env("CHROMIUM", chromium)
        .current_dir(dir)
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("the browser run finishes within 120 s")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser run failed:\n{stdout}\n{stderr}"
    );
    serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("report is not JSON ({e}):\n{stdout}\n{stderr}"))
}

/// Where screenshots go.
fn screenshots() -> PathBuf {
    let shots = workspace_root().join("target/dbqa-server");
    std::fs::create_dir_all(&shots).expect("target dir");
    shots
}

#[tokio::test]
async fn chat_page_in_headless_chromium() {
    let Some(harness) = harness() else {
        return;
    };
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    fake.push(run_sql(
        "SELECT country, COUNT(*) AS n FROM customers GROUP BY country ORDER BY n DESC, country",
        None,
    ));
    fake.push(Reply::stream_text([
        "Most customers ",
        "live in ",
        "France.",
    ]));
    fake.push(run_sql(FRANCE, None));
    fake.push(Reply::stream_text([
        "There are ",
        "many customers in France.",
    ]));
    // `llm` mode, so the page shows a written answer arriving token by token.
    let agent = agent(&db, &fake, &[("ANSWER_MODE", "llm")]).await;
    let server = Server::start(agent, ServeOptions::default()).await;
    let screenshot = screenshots().join("chat-page.png");
    let report = run_script(&harness, "chat.mjs", &server, &[&screenshot], &[]).await;

    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    let first = &report["turns"][0];
    assert_eq!(first["done"], "true", "{report}");
    assert_eq!(
        first["answer"], "Most customers live in France.",
        "{report}"
    );
    assert!(
        first["sql"].as_str().unwrap_or("").contains("GROUP BY"),
        "{report}"
    );
    assert_eq!(
        first["headers"],
        serde_json::json!(["country", "n"]),
        "{report}"
    );
    assert!(first["rows"].as_u64().unwrap_or(0) >= 2, "{report}");
    let second = &report["turns"][1];
    assert!(
        second["answer"]
            .as_str()
            .unwrap_or("")
            .starts_with("There are"),
        "{report}"
    );
    // The page kept its session: the follow-up reached the LLM with the first exchange.
    let session = report["session"].as_str().unwrap_or("");
    assert!(session.starts_with("web-"), "{report}");
    // The follow-up's SQL-writing call (the last request wrote its answer).
    let requests = fake.requests();
    let follow_up = requests.iter().rev().nth(1).cloned().expect("requests");
    assert!(
        follow_up.body["messages"]
            .to_string()
            .contains("Which countries do our customers come from?"),
        "the follow-up lost the session"
    );
    assert!(
        screenshot.exists(),
        "no screenshot at {}",
        screenshot.display()
    );
    eprintln!("screenshot: {}", screenshot.display());
}

/// What an analyst does: charts, the chart/table toggle, edited SQL run again, the CSV
/// download, the schema panel without blocked tables, 👍, an earlier conversation
/// reopened; and the browser asks nothing of any server but this one.
#[tokio::test]
async fn analyst_page_in_headless_chromium() {
    let Some(harness) = harness() else {
        return;
    };
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    fake.push(run_sql(
        "SELECT country, COUNT(*) AS n FROM customers GROUP BY country ORDER BY n DESC, country",
        Some("Customers come from {row_count} countries."),
    ));
    fake.push(run_sql(
        "SELECT substr(order_date, 1, 7) AS month, COUNT(*) AS orders FROM orders GROUP BY month ORDER BY month",
        Some("Orders over {row_count} months."),
    ));
    let agent = agent(&db, &fake, &[("BLOCKED_TABLES", "employees")]).await;
    let server = Server::start(Arc::clone(&agent), ServeOptions::default()).await;
    let edited = "SELECT country, COUNT(*) AS n FROM customers WHERE country IN ('France', 'Spain') GROUP BY country ORDER BY n DESC";
    let shots = screenshots();
    let report = run_script(
        &harness,
        "analyst.mjs",
        &server,
        &[&shots],
        &[("EDITED_SQL", edited)],
    )
    .await;
    assert_eq!(report["errors"], json!([]), "{report}");

    let bar = &report["bar"];
    assert_eq!(bar["chart"], "bar", "{report}");
    assert_eq!(bar["view"], "chart", "{report}");
    assert_eq!(bar["svg"], 1, "{report}");
    assert!(
        bar["marks"].as_u64().unwrap_or(0) >= 8,
        "one bar per country: {report}"
    );
    assert_eq!(
        bar["answer"], "Customers come from 8 countries.",
        "{report}"
    );
    assert_eq!(bar["meta"], "8 rows", "{report}");
    assert_eq!(bar["afterToggle"]["view"], "table", "{report}");
    assert_eq!(bar["afterToggle"]["tableVisible"], true, "{report}");
    assert_eq!(bar["afterToggle"]["chartVisible"], false, "{report}");
    assert_eq!(
        bar["afterToggle"]["numericAligned"], 8,
        "counts are right-aligned: {report}"
    );
    assert!(
        bar["sqlBefore"]
            .as_str()
            .unwrap_or("")
            .contains("\nFROM customers\nGROUP BY"),
        "the SQL is shown with a line per clause: {report}"
    );
    assert_eq!(report["line"]["chart"], "line", "{report}");
    assert_eq!(report["line"]["svg"], 1, "{report}");

    let after_edit = &report["edited"];
    assert!(
        after_edit["sql"].as_str().unwrap_or("").contains("'Spain'"),
        "{report}"
    );
    assert_eq!(after_edit["rows"], 2, "{report}");
    assert_eq!(after_edit["headers"], json!(["country", "n"]), "{report}");
    let csv = report["csv"]["text"].as_str().unwrap_or("");
    assert_eq!(csv, "country,n\r\nFrance,56\r\nSpain,28\r\n", "{report}");

    assert_eq!(
        report["feedback"], "saved as a verified example",
        "{report}"
    );
    let examples = agent.examples().await.expect("examples");
    assert_eq!(examples.len(), 1);
    assert_eq!(examples[0].question, "How many customers per country?");
    assert!(examples[0].sql.contains("'Spain'"), "{examples:?}");

    let tables: Vec<&str> = report["schema"]["tables"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        tables.contains(&"customers") && tables.contains(&"orders"),
        "{report}"
    );
    assert!(
        !tables.contains(&"employees"),
        "blocked tables are not listed: {report}"
    );
    let searched = report["schema"]["searched"].to_string();
    assert!(
        searched.contains("\"customers\"") && !searched.contains("products"),
        "the search keeps the tables with a matching column: {report}"
    );
    assert_eq!(report["schema"]["question"], "How many orders ", "{report}");

    assert_eq!(report["afterNew"], 0, "{report}");
    let questions = &report["reopened"]["questions"];
    assert_eq!(
        questions,
        &json!([
            "How many customers per country?",
            "How many orders were placed each month?",
            "How many customers per country?"
        ]),
        "the reopened conversation has its questions, the edited SQL last: {report}"
    );
    let reopened_sql = report["reopened"]["sql"].to_string();
    assert!(reopened_sql.contains("'Spain'"), "{report}");

    let base = server.url("");
    let foreign: Vec<&str> = report["requests"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|url| {
            !url.starts_with(&base) && !url.starts_with("blob:") && !url.starts_with("data:")
        })
        .collect();
    assert!(
        foreign.is_empty(),
        "the page asked other servers: {foreign:?}"
    );
    assert_eq!(fake.request_count(), 2, "the edit and 👍 need no LLM");
    for shot in [
        "analyst-bar-chart.png",
        "analyst-line-chart.png",
        "analyst-edited-sql.png",
        "analyst-reopened.png",
    ] {
        assert!(shots.join(shot).exists(), "no screenshot {shot}");
    }
}
