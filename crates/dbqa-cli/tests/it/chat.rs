//! `dbqa chat` through a real pseudo-terminal.

use std::time::Duration;

use dbqa_fake_llm::{FakeLlm, Reply};
use expectrl::{Expect, Session};
use serde_json::json;

/// `dbqa` with `args` on a pseudo-terminal, talking to the LLM at `base_url`, waiting at
/// its first prompt.
fn spawn_chat(
    home: &std::path::Path,
    base_url: &str,
    args: &[&str],
) -> Session<expectrl::process::unix::UnixProcess, expectrl::process::unix::PtyStream> {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("dbqa"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home)
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .env("LLM_BASE_URL", base_url)
        .current_dir(home);
    let mut chat = Session::spawn(cmd).unwrap();
    chat.set_expect_timeout(Some(Duration::from_secs(60)));
    chat.expect("dbqa> ").unwrap();
    chat
}

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
    let (base_url, home_path) = (fake.base_url(), home.path().to_path_buf());
    tokio::task::spawn_blocking(move || {
        let mut chat = spawn_chat(&home_path, &base_url, &["chat"]);
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

/// Ctrl-C stops the question being answered and keeps the session; every backslash
/// command answers; Ctrl-D leaves with exit code 0.
#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_cancels_the_question_commands_answer_and_ctrl_d_leaves() {
    let home = tempfile::tempdir().unwrap();
    let fake = FakeLlm::start().await;
    // The first question hangs in the LLM until Ctrl-C.
    fake.push(
        Reply::tool_call(
            "run_sql",
            json!({"sql": "SELECT COUNT(*) AS n FROM orders", "answer_template": "{n} orders."}),
        )
        .delayed(Duration::from_secs(120)),
    );
    fake.push(Reply::tool_call(
        "run_sql",
        json!({"sql": "SELECT first_name, country FROM customers WHERE country = 'France' ORDER BY id LIMIT 1", "answer_template": "First French customer: {first_name}."}),
    ));
    let (base_url, home_path) = (fake.base_url(), home.path().to_path_buf());
    let status = tokio::task::spawn_blocking(move || {
        let mut chat = spawn_chat(&home_path, &base_url, &["chat", "--session", "keys"]);
        chat.send_line("\\rows").unwrap();
        chat.expect("no rows yet").unwrap();
        chat.expect("dbqa> ").unwrap();

        chat.send_line("How many orders are there?").unwrap();
        // Give the question time to reach the (hanging) LLM, then interrupt it.
        std::thread::sleep(Duration::from_secs(2));
        chat.send(expectrl::ControlCode::EndOfText).unwrap();
        chat.expect("cancelled").unwrap();
        chat.expect("dbqa> ").unwrap();

        // Each line, what its answer must show, then the prompt again.
        for (line, shows) in [
            (
                "Who are the first French customers?",
                "First French customer:",
            ),
            ("\\rows", "France"),
            ("\\tables", "order_items"),
            ("\\schema customers", "country"),
            ("\\history", "you: Who are the first French customers?"),
            ("\\stats", "\"total_queries\""),
            ("\\help", "Ctrl-C cancels a running question"),
            ("\\clear", "history cleared"),
            ("\\nonsense", "unknown command \\nonsense"),
        ] {
            chat.send_line(line).unwrap();
            chat.expect(shows).unwrap();
            chat.expect("dbqa> ").unwrap();
        }
        // After \clear the history is empty: the prompt comes straight back.
        chat.send_line("\\history").unwrap();
        chat.expect("dbqa> ").unwrap();

        chat.send(expectrl::ControlCode::EndOfTransmission).unwrap();
        chat.expect(expectrl::Eof).unwrap();
        chat.get_process_mut().wait().unwrap()
    })
    .await
    .unwrap();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "chat did not leave cleanly on Ctrl-D: {status:?}"
    );
    // The cancelled question and the answered one both reached the LLM; nothing after.
    assert_eq!(fake.request_count(), 2);
}
