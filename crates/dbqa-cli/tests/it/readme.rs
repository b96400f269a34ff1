//! Runs the README's shell commands, so the quick start cannot drift from the binary.
//!
//! `export` lines (the menu of LLM settings) are replaced by a scripted LLM server,
//! `cargo run … -p dbqa-cli --` by the built binary, and `cargo test --workspace` is left
//! to `.ci/run`, which runs exactly that line.

use std::path::Path;

use dbqa_fake_llm::{FakeLlm, Reply};
use serde_json::json;

fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start().strip_prefix("```")) {
            (None, Some("sh")) => current = Some(String::new()),
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some(text), None) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// The command a README line stands for, or `None` for lines this test does not run.
fn command_for(line: &str, binary: &Path) -> Option<String> {
    let line = line.split(" # ").next().unwrap_or(line).trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with("export ") {
        return None;
    }
    if line == "cargo test --workspace" {
        return None;
    }
    let binary = binary.display().to_string();
    let line = line.replace("cargo run --release -p dbqa-cli --", &binary);
    assert!(
        !line.starts_with("cargo "),
        "README runs a cargo command this test does not know: {line}"
    );
    Some(line)
}

#[tokio::test(flavor = "multi_thread")]
async fn readme_commands_run() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let binary = assert_cmd::cargo::cargo_bin("dbqa");
    let bin_dir = binary.parent().unwrap().to_path_buf();
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.fallback(Reply::tool_call(
        "run_sql",
        json!({
            "sql": "SELECT carrier, COUNT(*) AS late_orders FROM orders WHERE shipped_date > required_date GROUP BY carrier ORDER BY late_orders DESC",
            "answer_template": "{carrier} shipped {late_orders} orders late."
        }),
    ));
    let mut ran = 0;
    for block in sh_blocks(&readme) {
        for line in block.lines() {
            let Some(command) = command_for(line, &binary) else {
                continue;
            };
            let path = format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            );
            let home_path = home.path().to_path_buf();
            let base_url = fake.base_url();
            let output = tokio::task::spawn_blocking(move || {
                std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&command)
                    .env_clear()
                    .env("PATH", path)
                    .env("HOME", &home_path)
                    .env("XDG_DATA_HOME", &home_path)
                    .env("LLM_BASE_URL", base_url)
                    .current_dir(&home_path)
                    .output()
                    .map(|o| (command, o))
            })
            .await
            .unwrap()
            .unwrap();
            let (command, output) = output;
            let code = output.status.code().unwrap_or(-1);
            // 0 is an answer or an accepted statement, 1 a rejected one; 2 and 3 would mean
            // the README shows a command that does not work.
            assert!(
                code == 0 || code == 1,
                "`{command}` exited {code}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(!output.stdout.is_empty(), "`{command}` printed nothing");
            ran += 1;
        }
    }
    assert!(ran >= 3, "only {ran} README commands found");
    let asked = fake.requests().iter().any(|r| {
        r.last_user_text()
            .is_some_and(|t| t.contains("How many orders did each carrier ship late?"))
    });
    assert!(asked, "the quick start's question never reached the LLM");
}

/// The quick start's "real run" block is what the binary prints for that question and
/// that SQL. The model's words are the scripted LLM's: it writes the SQL shown, and, as
/// the result has several rows, a second call writes the answer, which it takes from the
/// block's first line.
#[tokio::test(flavor = "multi_thread")]
async fn readme_real_run_is_what_the_binary_prints() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let after = readme
        .split_once("A real run")
        .map(|(_, rest)| rest)
        .expect("README has a real run");
    let block = after
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(block, _)| block)
        .expect("the real run is a text block");
    let sql_line = block
        .lines()
        .find(|l| l.starts_with("SELECT "))
        .expect("the block shows the SQL");
    // The model wrote the SQL without the row limit; the guard added it.
    let model_sql = sql_line
        .strip_suffix(" LIMIT 10001")
        .expect("the guard's row limit");
    let answer = block
        .lines()
        .next()
        .expect("the block starts with the answer");
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(Reply::tool_call("run_sql", json!({"sql": model_sql})));
    fake.push(Reply::stream_text([answer]));
    let output = crate::dbqa(home.path())
        .env("LLM_BASE_URL", fake.base_url())
        .args([
            "ask",
            "How many orders did each carrier ship late?",
            "--show-sql",
            "--format",
            "table",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), block);
}
