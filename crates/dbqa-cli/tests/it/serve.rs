//! `dbqa serve` and `dbqa mcp` as processes.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use dbqa_fake_llm::{FakeLlm, Reply};
use serde_json::{Value, json};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn command(home: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("dbqa"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home)
        .current_dir(home);
    cmd
}

/// Kills the child when the test ends, pass or fail.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_over_http() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(Reply::tool_call(
        "run_sql",
        json!({"sql": "SELECT COUNT(*) AS n FROM employees", "answer_template": "{n} employees."}),
    ));
    let bind = format!("127.0.0.1:{}", free_port());
    let _server = Child(
        command(home.path(), &["serve", "--bind", &bind])
            .env("LLM_BASE_URL", fake.base_url())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let base = format!("http://{bind}");
    let mut ready = false;
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            ready = r.status().is_success();
            if ready {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "server never became ready");
    let response: Value = client
        .post(format!("{base}/api/query"))
        .json(&json!({"question": "How many employees are there?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(response["natural_response"], "15 employees.", "{response}");
}

#[test]
fn mcp_lists_tools_and_runs_guarded_queries_over_stdio() {
    let home = tempfile::tempdir().unwrap();
    let mut child = Child(
        command(home.path(), &["mcp"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut stdin = child.0.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut call = |message: Value| -> Value {
        writeln!(stdin, "{message}").unwrap();
        if message.get("id").is_none() {
            return Value::Null; // a notification: no answer
        }
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    };
    let init = call(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}));
    assert!(init["result"]["serverInfo"].is_object(), "{init}");
    call(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let tools = call(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"run_query") && names.contains(&"list_tables"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"ask"),
        "no LLM configured, so no ask tool: {names:?}"
    );
    let refused = call(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "run_query", "arguments": {"sql": "DROP TABLE customers"}}}));
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    let counted = call(json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
        "params": {"name": "run_query", "arguments": {"sql": "SELECT COUNT(*) AS n FROM categories"}}}));
    assert!(
        counted["result"]["content"].to_string().contains('8'),
        "{counted}"
    );
}
