//! Each tool mode end to end against the fake server: the prepared request on the wire and
//! the answer read back into one `ModelTurn` shape.

use dbqa_core::{Message, ToolMode};
use dbqa_fake_llm::{FakeLlm, Reply};
use dbqa_llm::{ModelTurn, interpret_response, prepare_request};
use serde_json::{Value, json};

use crate::support::{KINDS, Kind, question, subject};

/// Runs one turn in `mode` with `reply` scripted; returns the turn and the wire body.
async fn turn(kind: Kind, mode: ToolMode, reply: Reply) -> (ModelTurn, Value) {
    let fake = FakeLlm::start().await;
    fake.push(reply);
    let mut request = question("How many singers are there?");
    prepare_request(&mut request, mode);
    let response = subject(kind, &fake).chat(&request).await.unwrap();
    (
        interpret_response(&response, mode),
        fake.last_request().unwrap().body,
    )
}

fn sql_of(turn: &ModelTurn) -> Option<String> {
    let call = turn.tool_calls.iter().find(|c| c.name == "run_sql")?;
    Some(
        call.arguments_json()
            .ok()?
            .get("sql")?
            .as_str()?
            .to_string(),
    )
}

const SQL: &str = "SELECT count(*) FROM singer";

#[tokio::test]
async fn auto_mode_passes_tools_through() {
    for kind in KINDS {
        let (turn, body) = turn(
            kind,
            ToolMode::Auto,
            Reply::tool_call("run_sql", json!({"sql": SQL})),
        )
        .await;
        assert_eq!(sql_of(&turn).as_deref(), Some(SQL), "{kind}");
        assert_eq!(body["tools"].as_array().unwrap().len(), 2, "{kind}");
    }
}

#[tokio::test]
async fn required_mode_forces_a_tool_and_reads_reply_as_text() {
    for kind in KINDS {
        let (sql_turn, body) = turn(
            kind,
            ToolMode::Required,
            Reply::tool_call("run_sql", json!({"sql": SQL})),
        )
        .await;
        assert_eq!(sql_of(&sql_turn).as_deref(), Some(SQL), "{kind}");
        let expected_choice = if kind == Kind::Anthropic {
            json!({"type": "any"})
        } else {
            json!("required")
        };
        assert_eq!(body["tool_choice"], expected_choice, "{kind}");
        let names: Vec<&str> = body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                t.pointer("/function/name")
                    .or_else(|| t.get("name"))
                    .unwrap()
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(names, ["run_sql", "describe_tables", "reply"], "{kind}");
        let (reply_turn, _) = turn(
            kind,
            ToolMode::Required,
            Reply::tool_call("reply", json!({"text": "Hello!"})),
        )
        .await;
        assert_eq!(
            reply_turn,
            ModelTurn {
                tool_calls: vec![],
                text: Some("Hello!".into())
            },
            "{kind}"
        );
    }
}

#[tokio::test]
async fn json_mode_asks_for_a_schema_and_reads_the_object() {
    for kind in KINDS {
        let answer = format!(
            "```json\n{{\"sql\": \"{SQL}\", \"answer_template\": \"There are {{count}} singers.\"}}\n```"
        );
        let (sql_turn, body) = turn(kind, ToolMode::Json, Reply::text(answer)).await;
        assert_eq!(sql_of(&sql_turn).as_deref(), Some(SQL), "{kind}");
        let arguments = sql_turn.tool_calls[0].arguments_json().unwrap();
        assert_eq!(
            arguments["answer_template"], "There are {count} singers.",
            "{kind}"
        );
        assert!(body.get("tools").is_none(), "{kind}: no tools in json mode");
        let system = body
            .get("system")
            .cloned()
            .unwrap_or_else(|| body["messages"][0]["content"].clone());
        assert!(
            system.as_str().unwrap().contains("{\"reply\""),
            "{kind}: {system}"
        );
        if kind != Kind::Anthropic {
            assert_eq!(body["response_format"]["type"], "json_schema", "{kind}");
            insta::assert_json_snapshot!(format!("{kind}_json_mode_request"), body);
        }
        let (reply_turn, _) = turn(
            kind,
            ToolMode::Json,
            Reply::text("{\"reply\": \"Hi there\"}"),
        )
        .await;
        assert_eq!(reply_turn.text.as_deref(), Some("Hi there"), "{kind}");
        assert!(reply_turn.tool_calls.is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn text_mode_reads_fenced_sql() {
    for kind in KINDS {
        let answer = format!("Here you go:\n```sql\n{SQL}\n```");
        let (sql_turn, body) = turn(kind, ToolMode::Text, Reply::text(answer)).await;
        assert_eq!(sql_of(&sql_turn).as_deref(), Some(SQL), "{kind}");
        assert!(body.get("tools").is_none(), "{kind}");
        assert!(
            body.to_string()
                .contains("reply with the SQL in one ```sql block"),
            "{kind}"
        );
        let (plain, _) = turn(
            kind,
            ToolMode::Text,
            Reply::text("I can answer questions about singers."),
        )
        .await;
        assert_eq!(
            plain.text.as_deref(),
            Some("I can answer questions about singers."),
            "{kind}"
        );
        assert!(plain.tool_calls.is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn a_tool_call_written_as_text_is_read_in_every_mode() {
    for mode in [
        ToolMode::Auto,
        ToolMode::Required,
        ToolMode::Json,
        ToolMode::Text,
    ] {
        let answer = format!("{{\"name\": \"run_sql\", \"arguments\": {{\"sql\": \"{SQL}\"}}}}");
        let (turn, _) = turn(Kind::OpenAi, mode, Reply::text(answer)).await;
        assert_eq!(sql_of(&turn).as_deref(), Some(SQL), "{mode}");
    }
}

#[tokio::test]
async fn history_is_lowered_for_json_and_text_modes() {
    let fake = FakeLlm::start().await;
    fake.script([
        Reply::text("{\"reply\": \"6\"}"),
        Reply::text("There are 6."),
    ]);
    let provider = subject(Kind::OpenAi, &fake);
    for mode in [ToolMode::Json, ToolMode::Text] {
        let mut request = question("How many singers?");
        let call = dbqa_core::ToolCall {
            id: "call_0".into(),
            name: "run_sql".into(),
            arguments: json!({"sql": SQL}).to_string(),
        };
        request
            .messages
            .push(Message::assistant_tool_calls("", vec![call]));
        request
            .messages
            .push(Message::tool_result("call_0", "count(*)\n6"));
        prepare_request(&mut request, mode);
        provider.chat(&request).await.unwrap();
        let body = fake.last_request().unwrap().body;
        let messages = body["messages"].as_array().unwrap();
        assert!(
            messages
                .iter()
                .all(|m| m.get("tool_calls").is_none() && m["role"] != "tool"),
            "{mode}: {body}"
        );
        assert_eq!(
            messages[3]["content"], "Result of run_sql:\ncount(*)\n6",
            "{mode}"
        );
    }
}

/// A compatible server that refuses `tool_choice: "required"` and `json_schema` (like
/// llama-cpp-python) gets the fallback forms, and the provider remembers.
#[tokio::test]
async fn required_and_json_schema_fall_back_on_servers_without_them() {
    let fake = FakeLlm::start().await;
    fake.fallback(Reply::respond(|request| {
        let body = &request.body;
        if body["tool_choice"] == "required" || body["response_format"]["type"] == "json_schema" {
            Reply::status(500).message("")
        } else {
            Reply::text("{\"sql\": \"SELECT 1\"}")
        }
    }));
    let provider = subject(Kind::OpenAi, &fake);
    for mode in [ToolMode::Required, ToolMode::Json] {
        for _ in 0..2 {
            let mut request = question("q");
            prepare_request(&mut request, mode);
            provider.chat(&request).await.unwrap();
        }
    }
    let bodies: Vec<Value> = fake.requests().into_iter().map(|r| r.body).collect();
    assert_eq!(
        bodies.len(),
        6,
        "one probe per feature, then the fallback directly"
    );
    assert_eq!(
        bodies[1]["tool_choice"],
        json!({"type": "function", "function": {"name": "run_sql"}})
    );
    assert_eq!(bodies[2]["tool_choice"], bodies[1]["tool_choice"]);
    assert_eq!(bodies[4]["response_format"]["type"], "json_object");
    assert!(bodies[4]["response_format"]["schema"]["properties"]["sql"].is_object());
    assert_eq!(bodies[5]["response_format"]["type"], "json_object");
}
