//! `dbqa examples` through the real binary: a confirmed example lasts across processes
//! and answers the same question in `dbqa ask` with no LLM call.

use dbqa_fake_llm::FakeLlm;
use serde_json::Value;

use crate::dbqa;

fn run(home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = dbqa(home).args(args).output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn examples_are_added_listed_reused_and_removed() {
    let home = tempfile::tempdir().unwrap();
    let question = "How many customers are there?";
    let sql = "SELECT COUNT(*) AS n FROM customers";
    let (code, out, err) = run(home.path(), &["examples", "add", question, sql, "--json"]);
    assert_eq!(code, 0, "{err}");
    let added: Value = serde_json::from_str(&out).unwrap();
    let id = added["id"].as_str().unwrap().to_string();

    let (code, _, err) = run(
        home.path(),
        &["examples", "add", "Delete them", "DELETE FROM customers"],
    );
    assert_eq!(code, 1, "a write is never confirmed: {err}");
    assert!(err.contains("refused"), "{err}");

    let (code, out, _) = run(home.path(), &["examples", "list", "--json"]);
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    let fake = FakeLlm::start().await;
    let output = dbqa(home.path())
        .env("LLM_BASE_URL", fake.base_url())
        .args(["ask", "how many clients are there", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answer["llm_calls"], 0, "{answer}");
    assert_eq!(answer["verified_example"], id.as_str(), "{answer}");
    assert_eq!(answer["rows"], serde_json::json!([[500]]), "{answer}");
    assert_eq!(fake.request_count(), 0);

    let (code, out, _) = run(home.path(), &["examples", "remove", &id]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = run(home.path(), &["examples", "remove", &id]);
    assert_eq!(code, 1, "{err}");
    let (_, out, _) = run(home.path(), &["examples", "list"]);
    assert!(out.contains("no verified examples"), "{out}");
}
