//! `dbqa chat` through a real pseudo-terminal.

use std::time::Duration;

use dbqa_fake_llm::{FakeLlm, Reply};
use expectrl::{Expect, Session};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn chat_answers_follow_ups_and_commands() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    fake.push(Reply::tool_call(
        "run_sql",
        json!({"sql": "SELECT COUNT(*) AS n FROM customers WHERE country = 'France'", "answer_template": "{n} customers live in France."}),
    ));
    fake.push(Reply::tool_call(
        "run_sql",
        json!({"sql": "SELECT COUNT(*) AS n FROM customers WHERE country = 'Germany'", "answer_template": "{n} customers live in Germany."}),
    ));
    let base_url = fake.base_url();
    let home_path = home.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbqa"));
        cmd.arg("chat")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home_path)
            .env("XDG_DATA_HOME", &home_path)
            .env("NO_COLOR", "1")
            .env("TERM", "dumb")
            .env("LLM_BASE_URL", &base_url)
            .current_dir(&home_path);
        let mut chat = Session::spawn(cmd).unwrap();
        chat.set_expect_timeout(Some(Duration::from_secs(60)));
        chat.expect("dbqa> ").unwrap();
        chat.send_line("How many customers live in France?")
            .unwrap();
        chat.expect("customers live in France.").unwrap();
        chat.expect("dbqa> ").unwrap();
        chat.send_line("and in Germany?").unwrap();
        chat.expect("customers live in Germany.").unwrap();
        chat.expect("dbqa> ").unwrap();
        chat.send_line("\\sql").unwrap();
        chat.expect("WHERE country = 'Germany'").unwrap();
        chat.expect("dbqa> ").unwrap();
        chat.send_line("\\quit").unwrap();
        chat.expect(expectrl::Eof).unwrap();
    })
    .await
    .unwrap();
    let last = fake.requests().last().unwrap().body.to_string();
    assert!(
        last.contains("How many customers live in France?"),
        "follow-up lacks history: {last}"
    );
}
