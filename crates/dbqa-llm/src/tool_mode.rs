//! Tool modes for models that cannot choose tools freely (`LLM_TOOL_MODE`).
//!
//! The agent builds one native request (tools `run_sql`, `describe_tables`, …), calls
//! [`prepare_request`] to shape it for the mode, and reads every answer through
//! [`interpret_response`], which gives the same [`ModelTurn`] whatever the mode:
//!
//! | Mode | Request | Answer read from |
//! |---|---|---|
//! | `auto` | unchanged | native tool calls; text |
//! | `required` | a [`REPLY`] tool added, a tool call forced | native calls; `reply(text)` becomes text |
//! | `json` | no tools; a JSON-schema answer `{"sql", "answer_template"?}` / `{"reply"}` / `{"describe_tables": [..]}`, also described in the system prompt | the JSON object (bare or in a ```` ```json ```` fence) |
//! | `text` | no tools; the system prompt asks for SQL in a ```` ```sql ```` block | the fenced (or bare) SQL; `DESCRIBE TABLES: a, b`; else text |
//!
//! In every mode a tool call that a small model wrote as text
//! (`{"name": "run_sql", "arguments": {…}}`, or `functions.run_sql:` followed by the
//! arguments) is read as if called natively. Requests without tools (e.g. writing the
//! answer from rows) are left unchanged in every mode.

use std::collections::HashMap;

use dbqa_core::{
    ChatRequest, ChatResponse, Message, ResponseFormat, Role, ToolCall, ToolChoice, ToolMode,
    ToolSpec,
};
use serde_json::{Map, Value, json};

/// The SQL tool's name.
pub const RUN_SQL: &str = "run_sql";
/// The schema tool's name.
pub const DESCRIBE_TABLES: &str = "describe_tables";
/// The argument of [`DESCRIBE_TABLES`] holding the table names.
pub const DESCRIBE_TABLES_ARG: &str = "names";
/// The answer-without-SQL tool added in `required` mode.
pub const REPLY: &str = "reply";

/// What the model did in one turn, the same shape in every tool mode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelTurn {
    /// Tools to run (`run_sql`, `describe_tables`, …), as if called natively.
    pub tool_calls: Vec<ToolCall>,
    /// Text for the user (a direct answer, a `reply` call, or text beside tool calls).
    pub text: Option<String>,
}

impl ModelTurn {
    /// The `sql` argument of the first [`RUN_SQL`] call, when its arguments are valid JSON.
    pub fn sql(&self) -> Option<String> {
        self.tool_calls
            .iter()
            .filter(|call| call.name == RUN_SQL)
            .find_map(|call| call.arguments_json().ok())
            .and_then(|args| args.get("sql").and_then(Value::as_str).map(str::to_string))
    }
}

/// The `reply(text)` tool offered in `required` mode so answers without SQL stay possible.
pub fn reply_tool() -> ToolSpec {
    ToolSpec {
        name: REPLY.to_string(),
        description: "Answer the user directly, without querying the database (greetings, \
                      questions about what you can do, or when no SQL is needed)."
            .to_string(),
        parameters: json!({
            "type": "object",
            "properties": {"text": {"type": "string", "description": "The answer for the user."}},
            "required": ["text"]
        }),
    }
}

/// The JSON schema of a `json`-mode answer, built from the offered tools: the `run_sql`
/// properties (`sql`, `answer_template`, …), `reply`, and `describe_tables` when offered.
pub fn json_answer_schema(tools: &[ToolSpec]) -> Value {
    let mut properties = Map::new();
    let sql_properties = tools
        .iter()
        .find(|t| t.name == RUN_SQL)
        .and_then(|t| t.parameters.get("properties"))
        .and_then(Value::as_object);
    match sql_properties {
        Some(found) => properties.extend(found.clone()),
        None => {
            properties.insert(
                "sql".into(),
                json!({"type": "string", "description": "One SQL query."}),
            );
        }
    }
    properties.insert(
        REPLY.into(),
        json!({"type": "string", "description": "An answer without SQL."}),
    );
    if tools.iter().any(|t| t.name == DESCRIBE_TABLES) {
        properties.insert(
            DESCRIBE_TABLES.into(),
            json!({"type": "array", "items": {"type": "string"},
                   "description": "Tables to see in full before writing SQL."}),
        );
    }
    json!({"type": "object", "properties": properties, "additionalProperties": false})
}

fn json_instructions(describe: bool) -> String {
    let mut text = String::from(
        "Answer with exactly one JSON object and nothing else.\n\
         - To query the database: {\"sql\": \"<one SQL query>\", \"answer_template\": \"<optional answer template>\"}\n\
         - To answer without a query: {\"reply\": \"<your answer>\"}",
    );
    if describe {
        text.push_str("\n- To see more tables first: {\"describe_tables\": [\"<table>\", ...]}");
    }
    text
}

fn text_instructions(describe: bool, templates: bool) -> String {
    let mut text = String::from("Do not call functions: reply with the SQL in one ```sql block.");
    if templates {
        text.push_str(
            " When a sentence answers the question, add a line after the block: \
             `Answer: <the sentence, with {column} where a result value goes>`.",
        );
    }
    if describe {
        text.push_str(
            " To see more tables first, write one line: DESCRIBE TABLES: <table>, <table>",
        );
    }
    text
}

fn append_system(request: &mut ChatRequest, extra: &str) {
    request.system = Some(match request.system.take() {
        Some(system) if !system.is_empty() => format!("{system}\n\n{extra}"),
        _ => extra.to_string(),
    });
}

/// Shapes a native request for `mode` (see the module docs). Idempotent.
pub fn prepare_request(request: &mut ChatRequest, mode: ToolMode) {
    if request.tools.is_empty() {
        return;
    }
    let describe = request.tools.iter().any(|t| t.name == DESCRIBE_TABLES);
    match mode {
        ToolMode::Auto => {}
        ToolMode::Required => {
            if !request.tools.iter().any(|t| t.name == REPLY) {
                request.tools.push(reply_tool());
            }
            request.tool_choice = ToolChoice::Required;
        }
        ToolMode::Json => {
            request.response_format = ResponseFormat::JsonSchema {
                name: "dbqa_answer".to_string(),
                schema: json_answer_schema(&request.tools),
            };
            lower_history(&mut request.messages, mode);
            request.tools.clear();
            request.tool_choice = ToolChoice::Auto;
            append_system(request, &json_instructions(describe));
        }
        ToolMode::Text => {
            let templates = offers_templates(&request.tools);
            lower_history(&mut request.messages, mode);
            request.tools.clear();
            request.tool_choice = ToolChoice::Auto;
            append_system(request, &text_instructions(describe, templates));
        }
    }
}

/// Whether the offered `run_sql` takes an `answer_template`.
fn offers_templates(tools: &[ToolSpec]) -> bool {
    tools
        .iter()
        .filter(|t| t.name == RUN_SQL)
        .any(|t| t.parameters["properties"].get("answer_template").is_some())
}

/// Rewrites native tool calls and results as the text the mode uses, so a conversation
/// held in native form can continue without tools.
fn lower_history(messages: &mut Vec<Message>, mode: ToolMode) {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut lowered = Vec::with_capacity(messages.len());
    for message in messages.drain(..) {
        match message.role {
            Role::Assistant if !message.tool_calls.is_empty() => {
                let mut parts: Vec<String> = Vec::new();
                if !message.content.is_empty() {
                    parts.push(message.content.clone());
                }
                for call in &message.tool_calls {
                    names.insert(call.id.clone(), call.name.clone());
                    parts.push(render_call(call, mode));
                }
                lowered.push(Message::assistant(parts.join("\n")));
            }
            Role::Tool => {
                let name = message
                    .tool_call_id
                    .as_ref()
                    .and_then(|id| names.get(id))
                    .map_or("the tool", String::as_str);
                lowered.push(Message::user(format!(
                    "Result of {name}:\n{}",
                    message.content
                )));
            }
            _ => lowered.push(message),
        }
    }
    *messages = lowered;
}

fn render_call(call: &ToolCall, mode: ToolMode) -> String {
    let arguments = call.arguments_json().ok();
    let field = |key: &str| {
        arguments
            .as_ref()
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let names = || {
        arguments
            .as_ref()
            .and_then(|a| a.get(DESCRIBE_TABLES_ARG))
            .cloned()
            .unwrap_or(Value::Array(Vec::new()))
    };
    match (call.name.as_str(), mode) {
        (RUN_SQL, ToolMode::Text) => {
            let mut text = format!(
                "```sql\n{}\n```",
                field("sql").unwrap_or_else(|| call.arguments.clone())
            );
            if let Some(template) = field("answer_template") {
                text.push_str(&format!("\nAnswer: {template}"));
            }
            text
        }
        (RUN_SQL, _) => call.arguments.clone(),
        (DESCRIBE_TABLES, ToolMode::Text) => {
            let list: Vec<String> = names()
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            format!("DESCRIBE TABLES: {}", list.join(", "))
        }
        (DESCRIBE_TABLES, _) => json!({ DESCRIBE_TABLES: names() }).to_string(),
        (REPLY, ToolMode::Text) => field("text").unwrap_or_else(|| call.arguments.clone()),
        (REPLY, _) => json!({ REPLY: field("text").unwrap_or_default() }).to_string(),
        (_, _) => {
            json!({"name": call.name, "arguments": arguments.unwrap_or(Value::Null)}).to_string()
        }
    }
}

/// Reads an answer in any mode into one [`ModelTurn`] (see the module docs).
pub fn interpret_response(response: &ChatResponse, mode: ToolMode) -> ModelTurn {
    let mut turn = ModelTurn::default();
    let mut texts: Vec<String> = Vec::new();
    for call in &response.tool_calls {
        if call.name == REPLY {
            texts.push(reply_text(call));
        } else {
            turn.tool_calls.push(call.clone());
        }
    }
    let content = response
        .content
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if let Some(content) = content {
        if response.tool_calls.is_empty() {
            match read_text_answer(content, mode) {
                Reading::Calls(calls) => turn.tool_calls.extend(calls),
                Reading::Reply(text) => texts.push(text),
                Reading::Plain => texts.push(content.to_string()),
            }
        } else {
            texts.insert(0, content.to_string());
        }
    }
    if !texts.is_empty() {
        turn.text = Some(texts.join("\n"));
    }
    turn
}

fn reply_text(call: &ToolCall) -> String {
    match call.arguments_json() {
        Ok(value) => match value.get("text") {
            Some(Value::String(text)) => text.clone(),
            _ => call.arguments.clone(),
        },
        Err(_) => call.arguments.clone(),
    }
}

enum Reading {
    Calls(Vec<ToolCall>),
    Reply(String),
    Plain,
}

fn synthetic(index: usize, name: &str, arguments: Value) -> ToolCall {
    ToolCall {
        id: format!("text_call_{index}"),
        name: name.to_string(),
        arguments: match arguments {
            Value::String(text) => text,
            other => other.to_string(),
        },
    }
}

fn read_text_answer(content: &str, mode: ToolMode) -> Reading {
    if let Some(reading) = function_prefix(content) {
        return reading;
    }
    if let Some(object) = json_object(content)
        && let Some(reading) = read_json_object(&object)
    {
        return reading;
    }
    if matches!(mode, ToolMode::Text | ToolMode::Json)
        && let Some(names) = describe_line(content)
    {
        return Reading::Calls(vec![synthetic(
            0,
            DESCRIBE_TABLES,
            json!({ DESCRIBE_TABLES_ARG: names }),
        )]);
    }
    // A fenced SQL block (or `<sql>` markup) is read in every mode: a server without tool
    // calls (llama.cpp, some Ollama models) answers `auto` requests that way.
    let sql = tagged(content, "sql")
        .or_else(|| sql_in_text(content, mode == ToolMode::Text))
        .map(|sql| without_answer_line(&sql))
        .filter(|sql| !sql.is_empty());
    if let Some(sql) = sql {
        let mut arguments = json!({ "sql": sql });
        if let Some(template) = tagged(content, "answer_template").or_else(|| answer_line(content))
        {
            arguments["answer_template"] = json!(template);
        }
        return Reading::Calls(vec![synthetic(0, RUN_SQL, arguments)]);
    }
    Reading::Plain
}

/// llama.cpp's function-calling chat format written as text: `functions.NAME:\n{…}`.
fn function_prefix(content: &str) -> Option<Reading> {
    let rest = content.strip_prefix("functions.")?;
    let (name, arguments) = rest.split_once(':')?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let arguments = arguments.trim();
    let arguments = if arguments.is_empty() {
        "{}"
    } else {
        arguments
    };
    let call = synthetic(0, name, Value::String(arguments.to_string()));
    Some(if name == REPLY {
        Reading::Reply(reply_text(&call))
    } else {
        Reading::Calls(vec![call])
    })
}

/// The body of the first fenced block whose language is one of `languages` (or none).
fn fenced(content: &str, languages: &[&str]) -> Option<String> {
    let mut rest = content;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let line_end = after.find('\n')?;
        let language = after[..line_end].trim().to_ascii_lowercase();
        let body = &after[line_end + 1..];
        let end = body.find("```").unwrap_or(body.len());
        if languages.contains(&language.as_str()) {
            return Some(body[..end].trim().to_string());
        }
        rest = body.get(end + 3..).unwrap_or("");
    }
    None
}

/// `{{…}}` as `{…}`: small models copy the doubled braces of the tool-call example in
/// their chat template (`<tools>{{"name": …}}</tools>`).
fn undoubled_braces(text: &str) -> String {
    match text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")) {
        Some(inner) => format!("{{{inner}}}"),
        None => text.to_string(),
    }
}

/// A JSON object: the whole text, the body of a `<tools>` or `<tool_call>` block (braces
/// undoubled), a ```json fence, or the outermost braces.
fn json_object(content: &str) -> Option<Map<String, Value>> {
    let parse = |text: &str| match serde_json::from_str::<Value>(text.trim()) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    };
    if let Some(map) = parse(content) {
        return Some(map);
    }
    if let Some(map) = tagged(content, "tools")
        .or_else(|| tagged(content, "tool_call"))
        .and_then(|body| parse(&undoubled_braces(&body)))
    {
        return Some(map);
    }
    if let Some(map) = fenced(content, &["json", ""]).and_then(|body| parse(&body)) {
        return Some(map);
    }
    let start = content.find('{')?;
    let end = content.rfind('}')?;
    (start < end)
        .then(|| parse(&content[start..=end]))
        .flatten()
}

fn read_json_object(object: &Map<String, Value>) -> Option<Reading> {
    // A tool call written out: {"name": …, "arguments" | "parameters" | "input": …}.
    if let Some(Value::String(name)) = object.get("name").or_else(|| object.get("tool")) {
        let arguments = ["arguments", "parameters", "input", "args"]
            .iter()
            .find_map(|key| object.get(*key))
            .cloned()
            .unwrap_or_else(|| json!({}));
        let call = synthetic(0, name, arguments);
        return Some(if name == REPLY {
            Reading::Reply(reply_text(&call))
        } else {
            Reading::Calls(vec![call])
        });
    }
    if let Some(Value::String(sql)) = object.get("sql")
        && !sql.trim().is_empty()
    {
        let mut arguments = object.clone();
        arguments.remove(REPLY);
        arguments.remove(DESCRIBE_TABLES);
        arguments.retain(|_, v| !v.is_null());
        return Some(Reading::Calls(vec![synthetic(
            0,
            RUN_SQL,
            Value::Object(arguments),
        )]));
    }
    if let Some(names) = object.get(DESCRIBE_TABLES) {
        let names = match names {
            Value::String(one) => json!([one]),
            other => other.clone(),
        };
        if names.as_array().is_some_and(|a| !a.is_empty()) {
            return Some(Reading::Calls(vec![synthetic(
                0,
                DESCRIBE_TABLES,
                json!({ DESCRIBE_TABLES_ARG: names }),
            )]));
        }
    }
    if let Some(Value::String(reply)) = object.get(REPLY).or_else(|| object.get("answer")) {
        return Some(Reading::Reply(reply.clone()));
    }
    None
}

fn describe_line(content: &str) -> Option<Vec<String>> {
    content.lines().find_map(|line| {
        let line = line.trim();
        let upper = line.to_ascii_uppercase();
        let rest = upper
            .strip_prefix("DESCRIBE TABLES:")
            .map(|_| &line["DESCRIBE TABLES:".len()..])?;
        let names: Vec<String> = rest
            .split(',')
            .map(|n| n.trim().trim_matches('`').to_string())
            .filter(|n| !n.is_empty())
            .collect();
        (!names.is_empty()).then_some(names)
    })
}

/// Whether `text` starts with a query, after any comments: small models open bare SQL
/// with a `-- …` line naming what the query returns.
fn looks_like_sql(text: &str) -> bool {
    let head: String = without_leading_comments(text)
        .chars()
        .take(6)
        .collect::<String>()
        .to_ascii_uppercase();
    head.starts_with("SELECT") || head.starts_with("WITH")
}

/// `text` from its first character that is not blank or inside a `--` or `/* */` comment.
fn without_leading_comments(text: &str) -> &str {
    let mut rest = text.trim_start();
    loop {
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return rest;
        }
        rest = rest.trim_start();
    }
}

/// SQL without an `Answer:` line a model put inside its block or after bare SQL.
fn without_answer_line(sql: &str) -> String {
    sql.lines()
        .take_while(|line| {
            let line = line.trim_start().to_ascii_lowercase();
            !line.starts_with("answer:")
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The text of a `<tag>…</tag>` pair, as small models write arguments without a call.
fn tagged(content: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = content.find(&open)? + open.len();
    let end = content[start..].find(&close)? + start;
    let text = content[start..end].trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The `Answer: …` line of a text-mode reply: the answer template.
fn answer_line(content: &str) -> Option<String> {
    content.lines().rev().find_map(|line| {
        let line = line.trim().trim_matches('`');
        let rest = line
            .strip_prefix("Answer:")
            .or_else(|| line.strip_prefix("answer:"))?;
        let template = rest.trim();
        (!template.is_empty()).then(|| template.to_string())
    })
}

/// SQL from a ```sql fence, a plain ``` fence holding SQL, or (when `bare`) the whole text
/// when it is a query.
fn sql_in_text(content: &str, bare: bool) -> Option<String> {
    if let Some(sql) = fenced(content, &["sql", "sqlite", "postgresql", "mysql"]) {
        return Some(sql);
    }
    if let Some(body) = fenced(content, &[""])
        && looks_like_sql(&body)
    {
        return Some(body);
    }
    (bare && looks_like_sql(content)).then(|| content.trim().to_string())
}

#[cfg(test)]
mod tests;
