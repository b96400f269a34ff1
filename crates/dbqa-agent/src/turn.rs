//! One model turn, whatever the tool mode: the request is prepared for the mode and the
//! answer read back as tool calls plus text.
//!
//! This is the agent's seam to `LLM_TOOL_MODE`: `auto` and `required` use native tool
//! calls (`required` adds a `reply` tool so plain answers stay possible), `json` asks for
//! a JSON object (`{"sql": …, "answer_template": …}`, `{"describe_tables": [...]}` or
//! `{"reply": …}`), `text` reads SQL from a fenced code block.

use dbqa_core::{
    ChatRequest, ChatResponse, ResponseFormat, ToolCall, ToolChoice, ToolMode, ToolSpec,
};
use serde_json::{Value, json};

use crate::prompt::{DESCRIBE_TABLES, RUN_SQL};

/// The tool a `required`-mode model calls to answer in plain text.
const REPLY: &str = "reply";

/// What the model did in one turn.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Turn {
    /// Tool calls, native or read from JSON or text.
    pub(crate) tool_calls: Vec<ToolCall>,
    /// Plain text answer, if any.
    pub(crate) text: Option<String>,
}

/// Adapts a request carrying the agent's tools to the tool mode.
pub(crate) fn prepare(request: &mut ChatRequest, mode: ToolMode) {
    match mode {
        ToolMode::Auto => request.tool_choice = ToolChoice::Auto,
        ToolMode::Required => {
            if !request.tools.is_empty() {
                request.tools.push(ToolSpec {
                    name: REPLY.into(),
                    description: "Answer in plain text when no SQL is needed.".into(),
                    parameters: json!({
                        "type": "object",
                        "properties": {"text": {"type": "string"}},
                        "required": ["text"]
                    }),
                });
                request.tool_choice = ToolChoice::Required;
            }
        }
        ToolMode::Json => {
            if !request.tools.is_empty() {
                request.tools.clear();
                let system = request.system.get_or_insert_with(String::new);
                system.push_str(
                    "\nAnswer with one JSON object and nothing else: {\"sql\": \"…\", \"answer_template\": \"…\"} to run SQL, {\"describe_tables\": [\"name\", …]} to see more tables, or {\"reply\": \"…\"} to answer without SQL.\n",
                );
                request.response_format = ResponseFormat::JsonSchema {
                    name: "dbqa_turn".into(),
                    schema: json!({
                        "type": "object",
                        "properties": {
                            "sql": {"type": "string"},
                            "answer_template": {"type": "string"},
                            "describe_tables": {"type": "array", "items": {"type": "string"}},
                            "reply": {"type": "string"}
                        }
                    }),
                };
            }
        }
        ToolMode::Text => {
            if !request.tools.is_empty() {
                request.tools.clear();
                let system = request.system.get_or_insert_with(String::new);
                system.push_str(
                    "\nTo run SQL, write it in one ```sql fenced block; an optional line `answer_template: …` after it gives the answer template. Without SQL, just answer in text.\n",
                );
            }
        }
    }
}

/// Reads a response as tool calls plus text, per tool mode.
pub(crate) fn interpret(response: &ChatResponse, mode: ToolMode) -> Turn {
    let text = response.content.clone().filter(|t| !t.trim().is_empty());
    match mode {
        ToolMode::Auto | ToolMode::Required => {
            let mut turn = Turn {
                tool_calls: Vec::new(),
                text,
            };
            for call in &response.tool_calls {
                if call.name == REPLY {
                    let reply = call
                        .arguments_json()
                        .ok()
                        .and_then(|v| v.get("text").and_then(Value::as_str).map(str::to_string));
                    turn.text = reply.or(turn.text);
                } else {
                    turn.tool_calls.push(call.clone());
                }
            }
            turn
        }
        ToolMode::Json => match text.as_deref().and_then(parse_json_object) {
            Some(object) => json_turn(&object, text),
            None => Turn {
                tool_calls: response.tool_calls.clone(),
                text,
            },
        },
        ToolMode::Text => match text.as_deref().and_then(fenced_sql) {
            Some((sql, template)) => {
                let mut args = json!({"sql": sql});
                if let Some(t) = template {
                    args["answer_template"] = json!(t);
                }
                Turn {
                    tool_calls: vec![synthetic(RUN_SQL, &args)],
                    text: None,
                }
            }
            None => Turn {
                tool_calls: response.tool_calls.clone(),
                text,
            },
        },
    }
}

fn json_turn(object: &Value, text: Option<String>) -> Turn {
    if let Some(sql) = object.get("sql").and_then(Value::as_str) {
        let mut args = json!({"sql": sql});
        if let Some(t) = object.get("answer_template").and_then(Value::as_str) {
            args["answer_template"] = json!(t);
        }
        return Turn {
            tool_calls: vec![synthetic(RUN_SQL, &args)],
            text: None,
        };
    }
    if let Some(names) = object.get("describe_tables") {
        return Turn {
            tool_calls: vec![synthetic(DESCRIBE_TABLES, &json!({"names": names}))],
            text: None,
        };
    }
    let reply = object
        .get("reply")
        .and_then(Value::as_str)
        .map(str::to_string);
    Turn {
        tool_calls: Vec::new(),
        text: reply.or(text),
    }
}

fn synthetic(name: &str, args: &Value) -> ToolCall {
    ToolCall {
        id: format!("call_{name}"),
        name: name.into(),
        arguments: args.to_string(),
    }
}

/// The first JSON object in `text` (models sometimes wrap it in a fence or prose).
fn parse_json_object(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    serde_json::from_str::<Value>(text.get(start..=end)?)
        .ok()
        .filter(Value::is_object)
}

/// SQL from a ```sql (or bare ```) block, and an `answer_template:` line after it.
fn fenced_sql(text: &str) -> Option<(String, Option<String>)> {
    let open = text.find("```")?;
    let after = &text[open + 3..];
    let body_start = after.find('\n')? + 1;
    let lang = after[..body_start].trim().to_ascii_lowercase();
    if !(lang.is_empty() || lang == "sql") {
        return None;
    }
    let body = &after[body_start..];
    let close = body.find("```")?;
    let sql = body[..close].trim().to_string();
    if sql.is_empty() {
        return None;
    }
    let template = body[close + 3..]
        .lines()
        .find_map(|l| l.trim().strip_prefix("answer_template:"))
        .map(|t| t.trim().trim_matches('"').to_string());
    Some((sql, template))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(content: &str) -> ChatResponse {
        ChatResponse {
            content: Some(content.into()),
            ..ChatResponse::default()
        }
    }

    #[test]
    fn every_mode_reads_sql_and_text() {
        let json = interpret(
            &response(r#"{"sql": "SELECT 1", "answer_template": "{x}"}"#),
            ToolMode::Json,
        );
        assert_eq!(json.tool_calls[0].name, RUN_SQL);
        assert_eq!(
            json.tool_calls[0].arguments_json().unwrap()["answer_template"],
            "{x}"
        );
        let reply = interpret(&response(r#"{"reply": "Hi"}"#), ToolMode::Json);
        assert_eq!(reply.text.as_deref(), Some("Hi"));
        let text = interpret(
            &response("Here:\n```sql\nSELECT 2\n```\nanswer_template: \"{n} rows\""),
            ToolMode::Text,
        );
        assert_eq!(
            text.tool_calls[0].arguments_json().unwrap(),
            json!({"sql": "SELECT 2", "answer_template": "{n} rows"})
        );
        let plain = interpret(&response("Hello"), ToolMode::Text);
        assert_eq!(
            (plain.tool_calls.len(), plain.text.as_deref()),
            (0, Some("Hello"))
        );
        let mut native = response("");
        native.tool_calls = vec![ToolCall {
            id: "1".into(),
            name: REPLY.into(),
            arguments: r#"{"text":"Hey"}"#.into(),
        }];
        let required = interpret(&native, ToolMode::Required);
        assert_eq!(
            (required.tool_calls.len(), required.text.as_deref()),
            (0, Some("Hey"))
        );
    }

    #[test]
    fn prepare_adapts_tools() {
        let base = || {
            let mut r = ChatRequest::new("m", vec![]);
            r.tools = crate::prompt::tools(true);
            r
        };
        let mut required = base();
        prepare(&mut required, ToolMode::Required);
        assert_eq!(
            (required.tools.len(), required.tool_choice.clone()),
            (3, ToolChoice::Required)
        );
        let mut json = base();
        prepare(&mut json, ToolMode::Json);
        assert!(
            json.tools.is_empty()
                && matches!(json.response_format, ResponseFormat::JsonSchema { .. })
        );
    }
}
