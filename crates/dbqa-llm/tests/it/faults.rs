//! Every fault the fake server can inject, through every provider: the error is typed and
//! the number of attempts is observable.

use std::time::Duration;

use dbqa_core::{LlmError, StreamEvent};
use dbqa_fake_llm::{FakeLlm, Reply};

use crate::support::{KINDS, options, question, subject, subject_with};

#[tokio::test]
async fn rate_limit_with_retry_after_is_retried() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::status(429).retry_after(1));
        fake.push(Reply::text("ok"));
        let provider = subject(kind, &fake);
        let response = provider.chat(&question("q")).await.unwrap();
        assert_eq!(response.content.as_deref(), Some("ok"), "{kind}");
        assert_eq!(provider.attempts(), 2, "{kind}");
        assert_eq!(fake.request_count(), 2, "{kind}");
    }
}

#[tokio::test]
async fn rate_limit_that_persists_reports_attempts_and_wait() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.script((0..3).map(|_| Reply::status(429).retry_after(0)));
        let provider = subject_with(kind, options(&fake).with_max_retries(2));
        let error = provider.chat(&question("q")).await.unwrap_err();
        assert_eq!(
            error,
            LlmError::RateLimited {
                provider: kind.to_string(),
                attempts: 3,
                retry_after: Some(Duration::ZERO),
            },
            "{kind}"
        );
        assert!(error.is_retryable());
        assert_eq!(provider.attempts(), 3, "{kind}");
    }
}

#[tokio::test]
async fn server_error_then_success() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::status(500));
        fake.push(Reply::status(503));
        fake.push(Reply::text("recovered"));
        let provider = subject(kind, &fake);
        let response = provider.chat(&question("q")).await.unwrap();
        assert_eq!(response.content.as_deref(), Some("recovered"), "{kind}");
        assert_eq!(provider.attempts(), 3, "{kind}");
    }
}

#[tokio::test]
async fn server_errors_exhaust_retries() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.script((0..4).map(|_| Reply::status(502).message("bad gateway")));
        let provider = subject(kind, &fake);
        let error = provider.chat(&question("q")).await.unwrap_err();
        assert_eq!(
            error,
            LlmError::Server {
                provider: kind.to_string(),
                status: 502,
                attempts: 4,
                message: "bad gateway".into(),
            },
            "{kind}"
        );
    }
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::status(401).message("invalid x-api-key sk-test-secret-key"));
        fake.push(Reply::status(400).message("unknown model"));
        let provider = subject(kind, &fake);
        let error = provider.chat(&question("q")).await.unwrap_err();
        assert!(
            matches!(&error, LlmError::Authentication { status: 401, .. }),
            "{kind}: {error}"
        );
        if kind != crate::support::Kind::Ollama {
            // Ollama is sent no key, so an echo in the server's message is not ours to hide.
            assert!(
                !error.to_string().contains("sk-test-secret-key"),
                "{kind}: {error}"
            );
        }
        let error = provider.chat(&question("q")).await.unwrap_err();
        assert!(
            matches!(&error, LlmError::BadRequest { status: 400, message, .. } if message == "unknown model"),
            "{kind}: {error}"
        );
        assert_eq!(provider.attempts(), 2, "{kind}");
    }
}

#[tokio::test]
async fn slow_answer_times_out() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::delay(Duration::from_secs(3)));
        fake.push(Reply::delay(Duration::from_secs(3)));
        let provider = subject_with(
            kind,
            options(&fake).with_request_timeout(Duration::from_millis(200)),
        );
        let expected = LlmError::Timeout {
            provider: kind.to_string(),
            after: Duration::from_millis(200),
        };
        assert_eq!(
            provider.chat(&question("q")).await.unwrap_err(),
            expected,
            "{kind}"
        );
        let (_, error) = provider.stream(&question("q")).await;
        assert_eq!(error, Some(expected), "{kind}");
    }
}

#[tokio::test]
async fn unreachable_server_is_a_connection_error_after_retries() {
    for kind in KINDS {
        // Bind and drop a listener so the port is (almost certainly) closed.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let mut options = crate::support::options(&FakeLlm::start().await).with_max_retries(2);
        options.base_url = format!("http://127.0.0.1:{port}/v1");
        let provider = subject_with(kind, options);
        let error = provider.chat(&question("q")).await.unwrap_err();
        assert!(
            matches!(&error, LlmError::Connection { message, .. } if message.contains("after 3 attempt(s)")),
            "{kind}: {error}"
        );
        assert_eq!(provider.attempts(), 3, "{kind}");
    }
}

#[tokio::test]
async fn cut_stream_is_interrupted() {
    for kind in KINDS {
        for reply in [
            Reply::cut_stream(["There ", "are "]),
            Reply::truncated_stream(["There ", "are "]),
        ] {
            let fake = FakeLlm::start().await;
            fake.push(reply);
            let provider = subject(kind, &fake);
            let (events, error) = provider.stream(&question("q")).await;
            assert!(
                matches!(error, Some(LlmError::StreamInterrupted { .. })),
                "{kind}: {error:?}"
            );
            assert!(
                !events
                    .iter()
                    .any(|e| matches!(e, StreamEvent::Finished { .. })),
                "{kind}: no Finished after a cut"
            );
            assert!(
                events
                    .iter()
                    .any(|e| matches!(e, StreamEvent::TextDelta { .. })),
                "{kind}"
            );
            assert_eq!(
                fake.request_count(),
                1,
                "{kind}: a broken stream is not resent"
            );
        }
    }
}

#[tokio::test]
async fn truncated_and_invalid_bodies_are_invalid_responses() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        fake.push(Reply::invalid_json());
        fake.push(Reply::cut_stream(["partial"]));
        let provider = subject(kind, &fake);
        for _ in 0..2 {
            let error = provider.chat(&question("q")).await.unwrap_err();
            assert!(
                matches!(&error, LlmError::InvalidResponse { message, .. } if message.starts_with("malformed JSON")),
                "{kind}: {error}"
            );
        }
        assert_eq!(provider.attempts(), 2, "{kind}: not retried");
    }
}

#[tokio::test]
async fn empty_script_says_so() {
    for kind in KINDS {
        let fake = FakeLlm::start().await;
        let provider = subject_with(kind, options(&fake).with_max_retries(0));
        let error = provider.chat(&question("q")).await.unwrap_err();
        assert!(
            error.to_string().contains("the reply script is empty"),
            "{kind}: {error}"
        );
    }
}
