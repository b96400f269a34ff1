//! The OpenAPI 3.1 document served at `/api/openapi.json`.
//!
//! Written here rather than derived: the response types live in `dbqa-agent`, which
//! knows nothing about HTTP. A test checks that every route of the router is described.

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    })
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn query_errors() -> Value {
    json!({
        "400": error_response("The question was refused (empty, too long, prompt injection) or the body is invalid"),
        "401": error_response("Missing or wrong bearer token (when DBQA_API_TOKEN is set)"),
        "413": error_response("The body is larger than DBQA_MAX_BODY_BYTES"),
        "422": error_response("No usable SQL came of the question (guard refusal, database error, no answer)"),
        "502": error_response("The LLM is unreachable or answered unusably"),
        "503": error_response("The database or session store is unreachable"),
        "504": error_response("The query or the request ran out of time")
    })
}

/// The document; `secured` adds the bearer scheme every `/api` route then needs.
pub(crate) fn document(secured: bool) -> Value {
    let session_id =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "dbqa",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Ask questions of a SQL database in plain language."
        },
        "paths": {
            "/api/query": {"post": {
                "summary": "Answer a question",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueryRequest"}}}},
                "responses": merge(json!({"200": json_response("The answer", json!({"$ref": "#/components/schemas/QueryResponse"}))}), query_errors())
            }},
            "/api/query/stream": {"post": {
                "summary": "Answer a question as server-sent events: status, sql, rows, token, done (data: QueryResponse) or error (data: {kind, message, status})",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueryRequest"}}}},
                "responses": merge(json!({"200": {"description": "The event stream", "content": {"text/event-stream": {"schema": {"type": "string"}}}}}), query_errors())
            }},
            "/api/sessions": {
                "get": {"summary": "Chat sessions, most recently active first", "responses": {"200": json_response("Sessions", json!({"type": "array", "items": {"$ref": "#/components/schemas/SessionInfo"}}))}},
                "delete": {"summary": "Delete every session", "responses": {"200": json_response("How many were deleted", json!({"type": "object", "properties": {"deleted": {"type": "integer"}}}))}}
            },
            "/api/sessions/{id}": {
                "get": {"summary": "A session's messages, oldest first", "parameters": [session_id.clone()], "responses": {"200": json_response("History", json!({"type": "object", "properties": {"session_id": {"type": "string"}, "messages": {"type": "array", "items": {"type": "object"}}}}))}},
                "delete": {"summary": "Delete a session", "parameters": [session_id.clone()], "responses": {"204": {"description": "Deleted"}}}
            },
            "/api/sessions/{id}/clear": {"post": {"summary": "Forget a session's messages but keep it listed", "parameters": [session_id], "responses": {"204": {"description": "Cleared"}}}},
            "/api/schema": {"get": {
                "summary": "Tables, columns, keys and relationships",
                "parameters": [{"name": "include_foreign_keys", "in": "query", "required": false, "schema": {"type": "boolean", "default": true}}],
                "responses": {"200": json_response("The schema", json!({"type": "object", "properties": {"dialect": {"type": "string"}, "tables": {"type": "array", "items": {"type": "object"}}, "relationships": {"type": "array", "items": {"type": "object"}}}})), "503": error_response("The database is unreachable")}
            }},
            "/api/stats": {"get": {"summary": "Agent statistics and cache counters", "responses": {"200": json_response("Statistics", json!({"type": "object"}))}}},
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": json_response("OpenAPI 3.1", json!({"type": "object"}))}}},
            "/healthz": {"get": {"summary": "The process is up", "security": [], "responses": {"200": json_response("ok", json!({"type": "object"}))}}},
            "/readyz": {"get": {"summary": "The database answers", "security": [], "responses": {"200": json_response("ready", json!({"type": "object"})), "503": error_response("The database is unreachable")}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "security": [], "responses": {"200": {"description": "Text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/": {"get": {"summary": "The web chat page", "security": [], "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}}}}
        },
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["kind", "message"], "properties": {"kind": {"type": "string"}, "message": {"type": "string"}}}}},
            "QueryRequest": {"type": "object", "required": ["question"], "additionalProperties": false, "properties": {
                "question": {"type": "string"},
                "session_id": {"type": "string", "maxLength": 200},
                "options": {"type": "object", "additionalProperties": false, "properties": {
                    "return_sql": {"type": "boolean", "default": true},
                    "return_rows": {"type": "boolean", "default": true},
                    "natural_response": {"type": "boolean", "default": true},
                    "answer_mode": {"type": "string", "enum": ["template", "llm", "none"]},
                    "use_cache": {"type": "boolean", "default": true}
                }}
            }},
            "QueryResponse": {"type": "object", "properties": {
                "question": {"type": "string"},
                "sql": {"type": ["string", "null"]},
                "columns": {"type": "array", "items": {"type": "string"}},
                "rows": {"type": "array", "items": {"type": "array", "items": {}}},
                "row_count": {"type": "integer"},
                "truncated": {"type": "boolean"},
                "natural_response": {"type": ["string", "null"]},
                "cached": {"type": "string", "enum": ["none", "llm", "query"]},
                "model": {"type": ["string", "null"]},
                "usage": {"type": "object", "properties": {"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"}}},
                "llm_calls": {"type": "integer"},
                "timings": {"type": "object", "properties": {"schema_ms": {"type": "number"}, "llm_ms": {"type": "number"}, "guard_ms": {"type": "number"}, "execute_ms": {"type": "number"}, "total_ms": {"type": "number"}}},
                "session_id": {"type": ["string", "null"]},
                "warnings": {"type": "array", "items": {"type": "string"}}
            }},
            "SessionInfo": {"type": "object", "properties": {"id": {"type": "string"}, "message_count": {"type": "integer"}, "last_activity_ms": {"type": "integer"}}}
        }}
    });
    if secured {
        doc["components"]["securitySchemes"] =
            json!({"bearer": {"type": "http", "scheme": "bearer"}});
        doc["security"] = json!([{"bearer": []}]);
    }
    doc
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}
