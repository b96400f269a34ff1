//! Tool modes: requests shaped per mode and answers read back the same in every mode.

use dbqa_core::{ChatResponse, ToolMode};

use super::*;

/// Reads `content` in `mode`; returns `(tool name, arguments)` pairs and the text.
fn read(content: &str, mode: ToolMode) -> (Vec<(String, Value)>, Option<String>) {
    let response = ChatResponse {
        content: Some(content.to_string()),
        ..ChatResponse::default()
    };
    let turn = interpret_response(&response, mode);
    let calls = turn
        .tool_calls
        .iter()
        .map(|c| (c.name.clone(), c.arguments_json().unwrap_or(Value::Null)))
        .collect();
    (calls, turn.text)
}

fn check(content: &str, mode: ToolMode, expect: (&[(&str, Value)], Option<&str>)) {
    let (calls, text) = read(content, mode);
    let expected: Vec<(String, Value)> = expect
        .0
        .iter()
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    assert_eq!(calls, expected, "{mode}: {content}");
    assert_eq!(text.as_deref(), expect.1, "{mode}: {content}");
}

#[test]
fn text_answers_in_every_shape() {
    let sql = |s: &str| json!({ "sql": s });
    let q = "SELECT name FROM singer";
    check(
        "```sql\nSELECT name FROM singer\n```",
        ToolMode::Text,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "```\nSELECT name FROM singer\n```",
        ToolMode::Text,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "SELECT name FROM singer",
        ToolMode::Text,
        (&[("run_sql", sql(q))], None),
    );
    // Bare SQL opened with comments is SQL; a comment alone, or words after one, are not.
    check(
        "-- name of each singer\n/* all rows */ SELECT name FROM singer",
        ToolMode::Text,
        (
            &[(
                "run_sql",
                sql("-- name of each singer\n/* all rows */ SELECT name FROM singer"),
            )],
            None,
        ),
    );
    for words in [
        "-- SELECT name FROM singer",
        "-- the singers\nI cannot see a singer table.",
        "/* unclosed SELECT name FROM singer",
    ] {
        check(words, ToolMode::Text, (&[], Some(words)));
    }
    check(
        "select name from singer",
        ToolMode::Json,
        (&[], Some("select name from singer")),
    );
    // A server without tool calls answers `auto` with a fenced block: it is read too.
    check(
        "```sql\nSELECT name FROM singer\n```",
        ToolMode::Auto,
        (&[("run_sql", sql(q))], None),
    );
    // An answer line inside the block, or after bare SQL, is not SQL.
    for content in [
        "```sql\nSELECT count(*) AS n FROM singer\nAnswer: There are {n} singers.\n```",
        "SELECT count(*) AS n FROM singer\nAnswer: There are {n} singers.",
    ] {
        check(
            content,
            ToolMode::Text,
            (
                &[(
                    "run_sql",
                    json!({"sql": "SELECT count(*) AS n FROM singer", "answer_template": "There are {n} singers."}),
                )],
                None,
            ),
        );
    }
    // Markup some small models write instead of a call.
    check(
        "<tools>{}</tools>\n<answer_template>There are {n}.</answer_template>\n<sql>SELECT count(*) AS n FROM t</sql>",
        ToolMode::Auto,
        (
            &[(
                "run_sql",
                json!({"sql": "SELECT count(*) AS n FROM t", "answer_template": "There are {n}."}),
            )],
            None,
        ),
    );
    // The template rides along as an `Answer:` line in every mode that reads text.
    check(
        "```sql\nSELECT count(*) AS n FROM singer\n```\nAnswer: There are {n} singers.",
        ToolMode::Text,
        (
            &[(
                "run_sql",
                json!({"sql": "SELECT count(*) AS n FROM singer", "answer_template": "There are {n} singers."}),
            )],
            None,
        ),
    );
    check(
        "```json\n{\"sql\": \"SELECT name FROM singer\"}\n```",
        ToolMode::Json,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "Sure! {\"sql\": \"SELECT name FROM singer\", \"reply\": null} done",
        ToolMode::Json,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "{\"reply\": \"Hello\"}",
        ToolMode::Json,
        (&[], Some("Hello")),
    );
    check(
        "{\"describe_tables\": [\"concert\"]}",
        ToolMode::Json,
        (&[("describe_tables", json!({"names": ["concert"]}))], None),
    );
    check(
        "DESCRIBE TABLES: concert, stadium",
        ToolMode::Text,
        (
            &[("describe_tables", json!({"names": ["concert", "stadium"]}))],
            None,
        ),
    );
    check(
        "{\"name\": \"run_sql\", \"parameters\": {\"sql\": \"SELECT name FROM singer\"}}",
        ToolMode::Auto,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "{\"name\": \"reply\", \"arguments\": {\"text\": \"Hi\"}}",
        ToolMode::Required,
        (&[], Some("Hi")),
    );
    // Qwen2.5-Coder on llama.cpp without tool support copies its template's braces.
    check(
        "<tools>\n{{\"name\": \"run_sql\", \"arguments\": {\"sql\": \"SELECT name FROM singer\"}}}\n</tools>",
        ToolMode::Auto,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "<tool_call>\n{\"name\": \"run_sql\", \"arguments\": {\"sql\": \"SELECT name FROM singer\"}}\n</tool_call>",
        ToolMode::Text,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "functions.run_sql:\n{\"sql\": \"SELECT name FROM singer\"}",
        ToolMode::Auto,
        (&[("run_sql", sql(q))], None),
    );
    check(
        "Hello, I can help with singers.",
        ToolMode::Text,
        (&[], Some("Hello, I can help with singers.")),
    );
    check(
        "{\"unrelated\": 1}",
        ToolMode::Json,
        (&[], Some("{\"unrelated\": 1}")),
    );
}

#[test]
fn native_calls_keep_text_and_turn_reply_into_text() {
    let response = ChatResponse {
        content: Some("Let me check.".into()),
        tool_calls: vec![
            ToolCall {
                id: "a".into(),
                name: RUN_SQL.into(),
                arguments: "{bad".into(),
            },
            ToolCall {
                id: "b".into(),
                name: REPLY.into(),
                arguments: "{\"text\": \"Done\"}".into(),
            },
        ],
        ..ChatResponse::default()
    };
    let turn = interpret_response(&response, ToolMode::Required);
    assert_eq!(turn.tool_calls.len(), 1);
    assert_eq!(turn.tool_calls[0].arguments, "{bad");
    assert_eq!(turn.text.as_deref(), Some("Let me check.\nDone"));
}

#[test]
fn prepare_is_idempotent_and_leaves_toolless_requests_alone() {
    let tool = ToolSpec {
        name: RUN_SQL.into(),
        description: "d".into(),
        parameters: json!({"type": "object"}),
    };
    for mode in [
        ToolMode::Auto,
        ToolMode::Required,
        ToolMode::Json,
        ToolMode::Text,
    ] {
        let mut plain = ChatRequest::new("m", vec![Message::user("write the answer")]);
        let before = plain.clone();
        prepare_request(&mut plain, mode);
        assert_eq!(plain, before, "{mode}");
    }
    let mut request = ChatRequest::new("m", vec![Message::user("q")]);
    request.tools = vec![tool];
    prepare_request(&mut request, ToolMode::Required);
    let once = request.clone();
    prepare_request(&mut request, ToolMode::Required);
    assert_eq!(request, once);
}

#[test]
fn turn_sql_is_the_first_run_sql_argument() {
    let reply = |content: &str| ChatResponse {
        content: Some(content.to_string()),
        ..ChatResponse::default()
    };
    let turn = interpret_response(&reply("Here:\n```sql\nSELECT 1\n```"), ToolMode::Text);
    assert_eq!(turn.sql().as_deref(), Some("SELECT 1"));
    let described = interpret_response(&reply("DESCRIBE TABLES: orders"), ToolMode::Text);
    assert_eq!(described.sql(), None, "{described:?}");
    let broken = ModelTurn {
        tool_calls: vec![ToolCall {
            id: "c".into(),
            name: RUN_SQL.into(),
            arguments: "{not json".into(),
        }],
        text: None,
    };
    assert_eq!(broken.sql(), None);
}
