//! The web chat page in headless Chromium (Playwright's `playwright-core` over the
//! system `chromium`): type a question, see the streamed answer, the SQL and a table.

use std::time::Duration;

use dbqa_fake_llm::{FakeLlm, Reply};
use dbqa_server::ServeOptions;
use serde_json::Value;

use crate::support::{FRANCE, Server, agent, demo_db, forced, run_sql, workspace_root};

#[tokio::test]
async fn chat_page_in_headless_chromium() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let has_node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let missing: Vec<&str> = [
        (!std::path::Path::new(&chromium).exists()).then_some("chromium"),
        (!has_node).then_some("node"),
        (!dir.join("node_modules/playwright-core").exists()).then_some("playwright-core"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        let how = "apt-get install -y chromium nodejs npm && (cd crates/dbqa-server/tests/browser && npm ci)";
        if forced("DBQA_BROWSER_TESTS") {
            panic!("DBQA_BROWSER_TESTS=1 but {missing:?} missing; install with `{how}`");
        }
        eprintln!(
            "SKIPPED: browser test ({missing:?} missing; install with `{how}`, set DBQA_BROWSER_TESTS=1 to require it)"
        );
        return;
    }

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
    fake.push(run_sql(FRANCE, Some("There are {n} customers in France.")));
    let agent = agent(&db, &fake, &[]).await;
    let server = Server::start(agent, ServeOptions::default()).await;

    let shots = workspace_root().join("target/dbqa-server");
    std::fs::create_dir_all(&shots).expect("target dir");
    let screenshot = shots.join("chat-page.png");
    let run = tokio::process::Command::new("node")
        .arg(dir.join("chat.mjs"))
        .arg(server.url(""))
        .arg(&screenshot)
        .env("CHROMIUM", &chromium)
        .current_dir(&dir)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("the browser run finishes within 90 s")
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser run failed:\n{stdout}\n{stderr}"
    );
    let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("report is not JSON ({e}):\n{stdout}\n{stderr}"));

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
    let last = fake.requests().last().cloned().expect("requests");
    assert!(
        last.body["messages"]
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
