//! Settings that must take effect through the whole agent (SQLite demo shop, fake LLM):
//! builder values over the configuration, and the adaptive model strategy choosing the
//! model that is really called.

use std::sync::Arc;

use dbqa_agent::{DatabaseQueryAgent, Error};
use dbqa_core::AnswerMode;
use dbqa_fake_llm::{FakeLlm, Reply};
use serde_json::json;

use crate::support::{Backend, TestDb, config};

const COUNT: &str = "SELECT COUNT(*) AS n FROM customers";

fn count_reply() -> Reply {
    Reply::tool_call(
        "run_sql",
        json!({"sql": COUNT, "answer_template": "There are {n} customers."}),
    )
}

/// The environment layer says one thing, the builder another: the builder wins, and it
/// shows in what the agent does, not only in its configuration.
#[tokio::test]
async fn builder_values_beat_the_configuration() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    let fake = FakeLlm::start().await;
    let from_env = config(
        &fake,
        &[
            ("BLOCKED_TABLES", "orders"),
            ("ANSWER_MODE", "llm"),
            ("MAX_TABLES_IN_CONTEXT", "7"),
            ("DATABASE_URL", "sqlite:///nonexistent/dbqa/never.db"),
            ("MAX_RETRIES", "0"),
        ],
    );
    let agent = DatabaseQueryAgent::builder()
        .config(from_env)
        .database(Arc::clone(&db.db))
        .blocked_tables(["employees"])
        .answer_mode(AnswerMode::Template)
        .max_tables_in_context(2)
        .build()
        .await
        .expect("the explicit database wins over DATABASE_URL");
    let effective = agent.config();
    assert_eq!(effective.safety.blocked_tables, ["employees"]);
    assert_eq!(effective.answer_mode, AnswerMode::Template);
    assert_eq!(effective.max_tables_in_context, 2);

    // orders, blocked by the environment only, is readable; the answer comes from the
    // template (one LLM call), not from a second call as ANSWER_MODE=llm would make.
    fake.push(Reply::tool_call(
        "run_sql",
        json!({"sql": "SELECT COUNT(*) AS n FROM orders", "answer_template": "{n} orders."}),
    ));
    let orders = agent
        .query("How many orders are there?")
        .await
        .expect("answer");
    assert_eq!(orders.llm_calls, 1);
    assert!(
        orders
            .natural_response
            .as_deref()
            .unwrap_or("")
            .ends_with(" orders."),
        "{orders:?}"
    );

    // employees, blocked by the builder, is refused (no corrections: MAX_RETRIES=0).
    fake.push(Reply::tool_call(
        "run_sql",
        json!({"sql": "SELECT COUNT(*) AS n FROM employees"}),
    ));
    let refused = agent
        .query("How many employees are there?")
        .await
        .expect_err("employees is blocked");
    assert!(
        matches!(refused, Error::ValidationFailed { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("employees"), "{refused}");
}

/// `MODEL_STRATEGY=adaptive` sends a simple question to the fast model and a join-heavy
/// comparison to the complex one; `fixed` always uses the balanced model. The model in
/// the response is the one the LLM server was asked for.
#[tokio::test]
async fn adaptive_strategy_calls_the_model_the_question_needs() {
    let Some(db) = TestDb::new(Backend::Sqlite).await else {
        return;
    };
    let models = [
        ("FAST_MODEL", "small-fast"),
        ("BALANCED_MODEL", "mid-balanced"),
        ("COMPLEX_MODEL", "big-complex"),
    ];
    let simple = "How many customers are there?";
    let complex = "Compare the total order value per product category between 2023 and 2024 for customers in France versus Germany";
    for (strategy, expected) in [
        (
            "adaptive",
            [(simple, "small-fast"), (complex, "big-complex")],
        ),
        (
            "fixed",
            [(simple, "mid-balanced"), (complex, "mid-balanced")],
        ),
    ] {
        let fake = FakeLlm::start().await;
        let mut extra = vec![("MODEL_STRATEGY", strategy)];
        extra.extend_from_slice(&models);
        let agent = DatabaseQueryAgent::builder()
            .config(config(&fake, &extra))
            .database(Arc::clone(&db.db))
            .build()
            .await
            .expect("agent");
        for (question, model) in expected {
            fake.push(count_reply());
            let response = agent.query(question).await.expect("answer");
            let asked = fake.last_request().expect("a request").model().to_string();
            assert_eq!(asked, model, "{strategy}: {question}");
            assert_eq!(
                response.model.as_deref(),
                Some(model),
                "{strategy}: {question}"
            );
        }
    }
}
