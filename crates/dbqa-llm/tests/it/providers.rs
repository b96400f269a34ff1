//! The same conversation through every provider: answers, tool calls, multi-turn, streams,
//! usage and the request bodies on the wire.

use dbqa_core::{FinishReason, Message, StreamEvent, ToolCall, ToolChoice, Usage};
use dbqa_fake_llm::{FakeLlm, Reply};
use serde_json::json;

use crate::support::{KINDS, Kind, question, subject};

#[tokio::test]
async fn plain_answer() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::text("Hello! Ask me about singers.").usage(30, 8));
        let provider = subject(kind, &fake);
        let response = provider.chat(&question("hi")).await.unwrap();
        assert_eq!(
            response.content.as_deref(),
            Some("Hello! Ask me about singers."),
            "{kind}"
        );
        assert!(response.tool_calls.is_empty(), "{kind}");
        assert_eq!(response.finish_reason, FinishReason::Stop, "{kind}");
        assert_eq!(
            response.usage,
            Usage {
                prompt_tokens: 30,
                completion_tokens: 8
            },
            "{kind}"
        );
        assert_eq!(response.model, "test-model", "{kind}");
        assert_eq!(provider.attempts(), 1, "{kind}");
    }
}

#[tokio::test]
async fn tool_call_arguments_are_parsed() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::tool_calls([
            ("run_sql", json!({"sql": "SELECT count(*) FROM singer"})),
            ("describe_tables", json!({"names": ["concert"]})),
        ]));
        let response = subject(kind, &fake)
            .chat(&question("How many singers?"))
            .await
            .unwrap();
        assert_eq!(response.finish_reason, FinishReason::ToolCalls, "{kind}");
        let names: Vec<&str> = response
            .tool_calls
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["run_sql", "describe_tables"], "{kind}");
        assert_eq!(
            response.tool_calls[0].arguments_json().unwrap(),
            json!({"sql": "SELECT count(*) FROM singer"}),
            "{kind}"
        );
        assert_ne!(
            response.tool_calls[0].id, response.tool_calls[1].id,
            "{kind}"
        );
    }
}

#[tokio::test]
async fn invalid_tool_arguments_are_kept_as_text() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::tool_call_raw("run_sql", "{sql: SELECT 1"));
        fake.push(Reply::tool_call_raw("run_sql", "{\"sql\": \"SELECT").streamed());
        let provider = subject(kind, &fake);
        let response = provider.chat(&question("q")).await.unwrap();
        assert_eq!(response.tool_calls[0].arguments, "{sql: SELECT 1", "{kind}");
        assert!(response.tool_calls[0].arguments_json().is_err(), "{kind}");
        let (events, error) = provider.stream(&question("q")).await;
        assert_eq!(error, None, "{kind}");
        let call = events.iter().find_map(|e| match e {
            StreamEvent::ToolCall { call } => Some(call.arguments.clone()),
            _ => None,
        });
        assert_eq!(call.as_deref(), Some("{\"sql\": \"SELECT"), "{kind}");
    }
}

/// A question, a tool call, its result, and the final answer: the second request carries
/// the whole exchange in the provider's format (snapshotted).
#[tokio::test]
async fn multi_turn_with_tool_result() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::tool_call(
            "run_sql",
            json!({"sql": "SELECT count(*) FROM singer"}),
        ));
        fake.push(Reply::text("There are 6 singers."));
        let provider = subject(kind, &fake);
        let mut request = question("How many singers?");
        let first = provider.chat(&request).await.unwrap();
        let call = first.tool_calls[0].clone();
        request
            .messages
            .push(Message::assistant_tool_calls("", vec![call.clone()]));
        request
            .messages
            .push(Message::tool_result(call.id.clone(), "count(*)\n6"));
        let second = provider.chat(&request).await.unwrap();
        assert_eq!(
            second.content.as_deref(),
            Some("There are 6 singers."),
            "{kind}"
        );
        let requests = fake.requests();
        assert_eq!(requests.len(), 2, "{kind}");
        insta::assert_json_snapshot!(format!("{kind}_multi_turn_request"), requests[1].body);
    }
}

#[tokio::test]
async fn request_headers_carry_the_key_only_where_due() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::text("ok"));
        let provider = subject(kind, &fake);
        provider.chat(&question("q")).await.unwrap();
        let request = fake.last_request().unwrap();
        let (auth, key, version) = (
            request.header("authorization"),
            request.header("x-api-key"),
            request.header("anthropic-version"),
        );
        match kind {
            Kind::OpenAi => {
                assert_eq!(auth, Some("Bearer sk-test-secret-key"));
                assert_eq!((key, version), (None, None));
            }
            Kind::Anthropic => {
                assert_eq!(key, Some("sk-test-secret-key"));
                assert_eq!(version, Some("2023-06-01"));
                assert_eq!(auth, None);
            }
            Kind::Ollama => assert_eq!((auth, key), (None, None)),
        }
        let debug = format!("{:?}", crate::support::options(&fake));
        assert!(!debug.contains("sk-test-secret-key"), "{debug}");
    }
}

#[tokio::test]
async fn streaming_text_and_usage() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::stream_text(["There ", "are ", "6 singers."]).usage(40, 9));
        let (events, error) = subject(kind, &fake).stream(&question("How many?")).await;
        assert_eq!(error, None, "{kind}");
        let text: String = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "There are 6 singers.", "{kind}");
        let deltas = events
            .iter()
            .filter(|e| matches!(e, StreamEvent::TextDelta { .. }))
            .count();
        assert_eq!(deltas, 3, "{kind}: text arrives incrementally");
        assert_eq!(
            events.last(),
            Some(&StreamEvent::Finished {
                finish_reason: FinishReason::Stop,
                usage: Usage {
                    prompt_tokens: 40,
                    completion_tokens: 9
                },
                model: "test-model".into(),
            }),
            "{kind}"
        );
        let body = fake.last_request().unwrap().body;
        assert_eq!(body["stream"], json!(true), "{kind}");
        if kind != Kind::Anthropic {
            assert_eq!(
                body["stream_options"],
                json!({"include_usage": true}),
                "{kind}"
            );
        }
    }
}

#[tokio::test]
async fn streamed_tool_call_is_assembled() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        let sql = "SELECT name, country FROM singer WHERE age > 30 ORDER BY age DESC";
        fake.push(
            Reply::stream_tool_call("run_sql", json!({"sql": sql})).with_text("Let me look."),
        );
        let (events, error) = subject(kind, &fake).stream(&question("Old singers?")).await;
        assert_eq!(error, None, "{kind}");
        let calls: Vec<&ToolCall> = events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall { call } => Some(call),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 1, "{kind}");
        assert_eq!(calls[0].name, "run_sql", "{kind}");
        assert_eq!(
            calls[0].arguments_json().unwrap(),
            json!({"sql": sql}),
            "{kind}"
        );
        assert!(
            matches!(&events[0], StreamEvent::TextDelta { text } if text == "Let me look."),
            "{kind}: {events:?}"
        );
        assert!(
            matches!(
                events.last(),
                Some(StreamEvent::Finished {
                    finish_reason: FinishReason::ToolCalls,
                    ..
                })
            ),
            "{kind}: {events:?}"
        );
    }
}

#[tokio::test]
async fn tool_choice_is_mapped() {
    let cases = [
        (ToolChoice::Auto, json!("auto"), json!({"type": "auto"})),
        (
            ToolChoice::Required,
            json!("required"),
            json!({"type": "any"}),
        ),
        (ToolChoice::None, json!("none"), json!({"type": "none"})),
        (
            ToolChoice::Tool("run_sql".into()),
            json!({"type": "function", "function": {"name": "run_sql"}}),
            json!({"type": "tool", "name": "run_sql"}),
        ),
    ];
    for (choice, openai, anthropic) in cases {
        for kind in [Kind::OpenAi, Kind::Anthropic] {
            let fake = FakeLlm::start().await;
            fake.push(Reply::text("ok"));
            let mut request = question("q");
            request.tool_choice = choice.clone();
            subject(kind, &fake).chat(&request).await.unwrap();
            let expect = if kind == Kind::OpenAi {
                &openai
            } else {
                &anthropic
            };
            assert_eq!(
                &fake.last_request().unwrap().body["tool_choice"],
                expect,
                "{kind} {choice:?}"
            );
        }
    }
}

#[tokio::test]
async fn served_models_are_read_from_the_listing() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        let provider = subject(kind, &fake);
        // No listing (llama.cpp builds without one, most proxies): an error, no panic.
        let unlisted = provider.llm().served_models().await;
        match kind {
            Kind::Anthropic => assert_eq!(unlisted.unwrap(), Vec::<String>::new()),
            _ => assert!(unlisted.is_err(), "{kind}: {unlisted:?}"),
        }
        fake.serve_models(&["qwen2.5-coder-1.5b", "nomic-embed"]);
        let listed = provider.llm().served_models().await.unwrap();
        match kind {
            Kind::Anthropic => assert!(listed.is_empty(), "{kind}: {listed:?}"),
            _ => assert_eq!(listed, ["qwen2.5-coder-1.5b", "nomic-embed"], "{kind}"),
        }
        // The listing is not a chat request.
        assert_eq!(fake.request_count(), 0, "{kind}");
    }
}
