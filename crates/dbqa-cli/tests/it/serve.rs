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

/// `dbqa serve` on a free port with the LLM at `fake`, once `/readyz` answers; its base URL.
async fn start_serve(home: &std::path::Path, fake: &FakeLlm) -> (Child, String) {
    let bind = format!("127.0.0.1:{}", free_port());
    let server = Child(
        command(home, &["serve", "--bind", &bind])
            .env("LLM_BASE_URL", fake.base_url())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let base = format!("http://{bind}");
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return (server, base);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("dbqa serve never became ready on {bind}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_over_http() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(Reply::tool_call(
        "run_sql",
        json!({"sql": "SELECT COUNT(*) AS n FROM employees", "answer_template": "{n} employees."}),
    ));
    let (_server, base) = start_serve(home.path(), &fake).await;
    let client = reqwest::Client::new();
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

/// SIGTERM stops `dbqa serve` from taking new work but lets the answer in flight finish;
/// then the process exits with code 0.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_answer_in_flight_then_exits() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(
        Reply::tool_call(
            "run_sql",
            json!({"sql": "SELECT COUNT(*) AS n FROM products", "answer_template": "{n} products."}),
        )
        .delayed(Duration::from_secs(3)),
    );
    let (mut server, base) = start_serve(home.path(), &fake).await;
    let client = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/query");
        async move {
            client
                .post(url)
                .json(&json!({"question": "How many products are there?"}))
                .send()
                .await
        }
    });
    // Wait until the question has reached the (slow) LLM, then ask the server to stop.
    for _ in 0..100 {
        if fake.request_count() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        fake.request_count(),
        1,
        "the question never reached the LLM"
    );
    let pid = server.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());

    let response = in_flight
        .await
        .unwrap()
        .expect("the answer in flight completes");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["natural_response"], "120 products.", "{body}");
    let status = tokio::task::spawn_blocking(move || server.0.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success(), "dbqa serve exited with {status:?}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "the server still answers after SIGTERM"
    );
}

/// The official Python MCP client (in `target/mcp-venv`, which `.ci/run` makes) drives
/// the real `dbqa mcp` binary over stdio against the demo database.
#[test]
fn official_python_client_drives_dbqa_mcp() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join("target/mcp-venv/bin/python");
    let has_client = python.exists()
        && Command::new(&python)
            .args(["-c", "import mcp"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if !has_client {
        let how = "python3 -m venv target/mcp-venv && target/mcp-venv/bin/pip install mcp";
        assert!(
            std::env::var("DBQA_MCP_CLIENT_TESTS").as_deref() != Ok("1"),
            "DBQA_MCP_CLIENT_TESTS=1 but the Python MCP client is missing; install it with `{how}`"
        );
        eprintln!(
            "SKIPPED: MCP client test (no Python MCP client; install with `{how}`, set DBQA_MCP_CLIENT_TESTS=1 to require it)"
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let script = root.join("crates/dbqa-server/tests/mcp/client.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(assert_cmd::cargo::cargo_bin("dbqa"))
        .arg("mcp")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path())
        .env_remove("DATABASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("LLM_PROVIDER")
        .env_remove("LLM_BASE_URL")
        .current_dir(home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "client failed:\n{stdout}\n{stderr}"
    );
    let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("client report is not JSON ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(
        report["tools"],
        json!(["list_tables", "describe_table", "run_query"])
    );
    assert!(
        report["tables"].to_string().contains("\"customers\""),
        "{report}"
    );
    assert_eq!(report["query"]["columns"], json!(["n"]), "{report}");
    assert_eq!(report["query"]["rows"], json!([[500]]), "{report}");
    assert_eq!(report["write_refused"], json!(true), "{report}");
    assert!(
        report["resources"]
            .to_string()
            .contains("dbqa://schema/orders"),
        "{report}"
    );
}
