//! The MCP server in process over pipes. The official Python MCP client drives the real
//! `dbqa mcp` binary in dbqa-cli's tests (`serve.rs`).

use std::sync::Arc;

use dbqa_core::AgentConfig;
use dbqa_fake_llm::FakeLlm;
use dbqa_server::McpServer;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::{FRANCE, agent, demo_db, run_sql};

/// Sends each request as a line and collects the replies by id.
async fn exchange(server: McpServer, requests: &[Value]) -> Vec<Value> {
    let (client, server_io) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_io);
    let task = tokio::spawn(dbqa_server::serve_mcp(server, server_read, server_write));
    let (client_read, mut client_write) = tokio::io::split(client);
    let mut lines = BufReader::new(client_read).lines();
    let mut replies = Vec::new();
    for request in requests {
        client_write
            .write_all(format!("{request}\n").as_bytes())
            .await
            .expect("write");
        if request.get("id").is_some() {
            let line = lines.next_line().await.expect("read").expect("a reply");
            replies.push(serde_json::from_str::<Value>(&line).expect("JSON reply"));
        }
    }
    drop(client_write);
    drop(lines);
    let _ = task.await;
    replies
}

fn initialize(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
}

fn call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
}

fn tool_result(reply: &Value) -> (bool, Value) {
    let result = &reply["result"];
    let is_error = result["isError"].as_bool().unwrap_or(true);
    let text = result["content"][0]["text"].as_str().unwrap_or("");
    (
        is_error,
        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())),
    )
}

#[tokio::test]
async fn tools_and_resources_in_process() {
    let db = demo_db().await;
    let mut safety = AgentConfig::defaults().safety;
    safety.max_result_rows = 3;
    safety.blocked_tables = vec!["employees".into()];
    let server = McpServer::new(Arc::clone(&db.db), safety);
    let replies = exchange(
        server,
        &[
            initialize(1),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
            call(3, "list_tables", json!({})),
            call(4, "describe_table", json!({"table": "customers"})),
            call(5, "run_query", json!({"sql": "SELECT first_name FROM customers ORDER BY id"})),
            call(6, "run_query", json!({"sql": "DELETE FROM customers"})),
            call(7, "run_query", json!({"sql": "SELECT * FROM employees"})),
            call(8, "describe_table", json!({"table": "nope"})),
            json!({"jsonrpc": "2.0", "id": 9, "method": "resources/list"}),
            json!({"jsonrpc": "2.0", "id": 10, "method": "resources/read", "params": {"uri": "dbqa://schema/orders"}}),
            json!({"jsonrpc": "2.0", "id": 11, "method": "no/such"}),
            call(12, "ask", json!({"question": "hi"})),
        ],
    )
    .await;
    let by_id = |id: u64| {
        replies
            .iter()
            .find(|r| r["id"] == json!(id))
            .unwrap_or_else(|| panic!("no reply {id}"))
    };
    assert_eq!(by_id(1)["result"]["protocolVersion"], json!("2025-03-26"));
    assert_eq!(by_id(1)["result"]["serverInfo"]["name"], json!("dbqa"));
    let tools: Vec<&str> = by_id(2)["result"]["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(tools, ["list_tables", "describe_table", "run_query"]);

    let (err, tables) = tool_result(by_id(3));
    assert!(!err);
    assert!(
        tables["tables"].to_string().contains("\"customers\""),
        "{tables}"
    );
    let (err, table) = tool_result(by_id(4));
    assert!(!err && table["name"] == json!("customers"), "{table}");
    let (err, rows) = tool_result(by_id(5));
    assert!(!err, "{rows}");
    assert_eq!(rows["row_count"], json!(3));
    // One row more than returned is asked for, so a cut result says so.
    assert!(
        rows["sql"].as_str().unwrap_or("").contains("LIMIT 4"),
        "{rows}"
    );
    assert_eq!(rows["truncated"], json!(true), "{rows}");
    let (err, refusal) = tool_result(by_id(6));
    assert!(err && refusal.to_string().contains("rejected"), "{refusal}");
    let (err, blocked) = tool_result(by_id(7));
    assert!(
        err && blocked.to_string().contains("employees"),
        "{blocked}"
    );
    let (err, _) = tool_result(by_id(8));
    assert!(err);
    let uris = by_id(9)["result"]["resources"].to_string();
    assert!(
        uris.contains("dbqa://schema\"") && uris.contains("dbqa://schema/orders"),
        "{uris}"
    );
    let orders = by_id(10)["result"]["contents"][0]["text"]
        .as_str()
        .unwrap_or("");
    assert!(orders.contains("customer_id"), "{orders}");
    assert_eq!(by_id(11)["error"]["code"], json!(-32601));
    assert_eq!(
        by_id(12)["error"]["code"],
        json!(-32602),
        "ask is not offered without an agent"
    );
}

#[tokio::test]
async fn ask_tool_with_an_agent() {
    let db = demo_db().await;
    let fake = FakeLlm::start().await;
    fake.push(run_sql(FRANCE, Some("There are {n} customers in France.")));
    let agent = agent(&db, &fake, &[]).await;
    let server =
        McpServer::new(Arc::clone(&db.db), AgentConfig::defaults().safety).with_agent(agent);
    let replies = exchange(
        server,
        &[
            initialize(0),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
            call(
                2,
                "ask",
                json!({"question": "How many customers are in France?"}),
            ),
        ],
    )
    .await;
    assert!(replies[1].to_string().contains("\"ask\""));
    let (err, answer) = tool_result(&replies[2]);
    assert!(!err, "{answer}");
    assert!(
        answer["natural_response"]
            .as_str()
            .unwrap_or("")
            .starts_with("There are"),
        "{answer}"
    );
}

#[tokio::test]
async fn run_query_and_ask_are_audited_and_blocked_tables_stay_unseen() {
    let db = demo_db().await;
    let mut safety = AgentConfig::defaults().safety;
    safety.blocked_tables = vec!["employees".into()];
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("audit.jsonl");
    let server = McpServer::new(Arc::clone(&db.db), safety)
        .with_audit(dbqa_server::AuditLog::open(&log.display().to_string()).expect("log"));
    let replies = exchange(
        server,
        &[
            initialize(1),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            call(
                2,
                "run_query",
                json!({"sql": "SELECT COUNT(*) AS n FROM customers"}),
            ),
            call(3, "run_query", json!({"sql": "SELECT * FROM employees"})),
            call(4, "list_tables", json!({})),
            call(5, "describe_table", json!({"table": "employees"})),
        ],
    )
    .await;
    let by_id = |id: u64| {
        replies
            .iter()
            .find(|r| r["id"] == json!(id))
            .expect("reply")
    };
    assert!(!tool_result(by_id(2)).0);
    assert!(tool_result(by_id(3)).0, "a blocked table is refused");
    let (_, tables) = tool_result(by_id(4));
    assert!(!tables.to_string().contains("employees"), "{tables}");
    assert!(tool_result(by_id(5)).0, "a blocked table is not described");
    let text = std::fs::read_to_string(&log).expect("audit log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["route"], "mcp_run_query");
    assert_eq!(lines[0]["user"], "mcp");
    assert_eq!(lines[0]["rows"], 1);
    assert_eq!(lines[0]["tables"], json!(["customers"]));
    assert_eq!(lines[1]["outcome"], "validation");
}

/// `run_query` with `chart` returns the result's chart as a PNG image beside the JSON;
/// a result without a chart (one value) returns no image.
#[tokio::test]
async fn run_query_can_return_its_chart_as_an_image() {
    let db = demo_db().await;
    let server = McpServer::new(Arc::clone(&db.db), AgentConfig::defaults().safety);
    let per_country =
        "SELECT country, COUNT(*) AS n FROM customers GROUP BY country ORDER BY n DESC";
    let replies = exchange(
        server,
        &[
            initialize(1),
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            call(2, "run_query", json!({"sql": per_country, "chart": true})),
            call(
                3,
                "run_query",
                json!({"sql": "SELECT COUNT(*) FROM customers", "chart": true}),
            ),
            call(4, "run_query", json!({"sql": per_country})),
        ],
    )
    .await;
    let content = |i: usize| {
        replies[i]["result"]["content"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let charted = content(1);
    assert_eq!(charted.len(), 2, "{charted:?}");
    assert_eq!(charted[1]["type"], "image");
    assert_eq!(charted[1]["mimeType"], "image/png");
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(charted[1]["data"].as_str().unwrap_or(""))
        .expect("base64");
    assert_eq!(&png[1..4], b"PNG");
    let (_, rows) = tool_result(&replies[1]);
    assert_eq!(rows["chart"], json!(true));
    assert_eq!(content(2).len(), 1, "one value has no chart");
    assert_eq!(content(3).len(), 1, "no chart unless asked");
}
