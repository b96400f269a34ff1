//! The scorer checked: value and result comparison, then the whole `eval answers` path on
//! a small Spider slice (`xtask/tests/fixtures/spider`: concert_singer and pets_1, ten
//! questions) with the fake LLM server writing gold or deliberately wrong SQL.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dbqa_core::ToolMode;
use dbqa_fake_llm::{FakeLlm, RecordedRequest, Reply};
use serde_json::json;

use super::answers::{Outcome, Preset, QuestionResult, Setup, evaluate, summarize};
use super::score::{gold_orders, results_match};
use super::{Example, load_examples};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spider")
}

fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn results_compare_like_spider() {
    let check = |gold: &[&[&str]], predicted: &[&[&str]], ordered: bool, expect: bool| {
        assert_eq!(
            results_match(&table(gold), &table(predicted), ordered),
            expect,
            "gold {gold:?} predicted {predicted:?} ordered {ordered}"
        );
    };
    let ab: &[&[&str]] = &[&["t:a", "n:1"], &["t:b", "n:2"]];
    let ba: &[&[&str]] = &[&["t:b", "n:2"], &["t:a", "n:1"]];
    check(ab, ab, true, true);
    check(ab, ba, false, true); // a multiset: row order is free
    check(ab, ba, true, false); // unless the gold query orders
    check(ab, &[&["n:1", "t:a"], &["n:2", "t:b"]], true, true); // columns in another order
    check(ab, &[&["t:a", "n:1"]], false, false); // a row missing
    check(ab, &[&["t:a", "n:1"], &["t:a", "n:1"]], false, false); // multiset, not set
    check(ab, &[&["t:a"], &["t:b"]], false, false); // a column missing
    check(ab, &[&["t:A", "n:1"], &["t:b", "n:2"]], false, false); // text is exact
    check(&[], &[], true, true);
    check(&[&["n:1", "n:1"]], &[&["n:1", "n:1"]], false, true);
    check(&[&["n:1", "n:2"]], &[&["n:2", "n:1"]], false, true);
}

#[test]
fn values_compare_by_class() {
    use super::score::cell_key;
    use rusqlite::types::ValueRef;
    let check = |a: ValueRef<'_>, b: ValueRef<'_>, expect: bool| {
        assert_eq!(cell_key(a) == cell_key(b), expect, "{a:?} vs {b:?}");
    };
    check(ValueRef::Integer(3), ValueRef::Real(3.0), true);
    check(ValueRef::Real(0.1 + 0.2), ValueRef::Real(0.3), true);
    check(
        ValueRef::Real(33.333333333),
        ValueRef::Real(33.3333333334),
        true,
    );
    check(ValueRef::Real(33.3), ValueRef::Real(33.4), false);
    check(ValueRef::Integer(3), ValueRef::Text(b"3"), false);
    check(ValueRef::Null, ValueRef::Text(b"null"), false);
    check(ValueRef::Real(-0.0), ValueRef::Integer(0), true);
}

#[test]
fn gold_order_is_detected() {
    for (sql, expect) in [
        ("SELECT name FROM singer ORDER BY age DESC", true),
        ("SELECT name FROM singer order  by age", true),
        ("SELECT count(*) FROM singer", false),
        ("SELECT border FROM t", false),
    ] {
        assert_eq!(gold_orders(sql), expect, "{sql}");
    }
}

/// Replies with `sql_for(question)`: as a `run_sql` call (with a template, so no answer
/// call is needed) to dbqa, in a fenced block to the naive baseline; requests without
/// tools from dbqa (answer writing) get plain text.
fn scripted(sql_for: impl Fn(&str) -> String + Send + Sync + 'static) -> Reply {
    Reply::respond(move |request: &RecordedRequest| {
        let question = request.last_user_text().unwrap_or_default();
        let naive = request
            .system_text()
            .is_some_and(|s| s.starts_with(super::naive::PROMPT_START));
        if naive {
            return Reply::text(format!(
                "Here is the query:\n```sql\n{}\n```",
                sql_for(&question)
            ));
        }
        if request.tool_names().is_empty() {
            return Reply::text("The answer.");
        }
        Reply::tool_call(
            "run_sql",
            json!({"sql": sql_for(&question), "answer_template": "{row_count} row(s)."}),
        )
    })
}

async fn run_slice(fake: &FakeLlm, preset: Preset) -> Vec<QuestionResult> {
    let data = fixture();
    let examples: Vec<(usize, Example)> = load_examples(&data)
        .expect("fixture dev.json")
        .into_iter()
        .enumerate()
        .collect();
    let setup = Setup {
        base_url: fake.base_url(),
        model: "fake-model".into(),
        tool_mode: ToolMode::Auto,
        preset,
        llm_timeout_s: 30,
        env: Vec::new(),
        format: dbqa_agent::render::SchemaFormat::Compact,
        without: Vec::new(),
        leave_one_out: false,
        agent_per_question: false,
        example_pool: Default::default(),
    };
    evaluate(&data, &examples, &setup, |_| {})
        .await
        .expect("evaluation runs")
}

fn gold_by_question() -> BTreeMap<String, String> {
    load_examples(&fixture())
        .expect("fixture dev.json")
        .into_iter()
        .map(|e| (e.question, e.query))
        .collect()
}

#[tokio::test]
async fn gold_sql_scores_every_question() {
    let fake = FakeLlm::start().await;
    let gold = gold_by_question();
    fake.fallback(scripted(move |q| gold.get(q).cloned().unwrap_or_default()));
    for preset in [Preset::Default, Preset::Baseline] {
        let results = run_slice(&fake, preset).await;
        let summary = summarize(&results);
        assert_eq!(summary.questions, 10);
        assert_eq!(summary.correct, 10, "{preset:?}: {results:#?}");
        assert_eq!(summary.accuracy, 1.0);
        assert_eq!(summary.mean_llm_calls, 1.0);
        let expected_mode = if preset == Preset::Default {
            "template"
        } else {
            "none"
        };
        assert_eq!(summary.answer_modes.get(expected_mode), Some(&10));
    }
}

#[tokio::test]
async fn wrong_sql_lowers_accuracy_by_category() {
    let fake = FakeLlm::start().await;
    let gold = gold_by_question();
    let wrong: BTreeMap<&str, &str> = [
        // No WHERE: a different average.
        (
            "What is the average, minimum, and maximum age of all singers from France?",
            "SELECT avg(age), min(age), max(age) FROM singer",
        ),
        // No such table: fails in the database on every attempt.
        (
            "How many concerts are there in year 2014 or 2015?",
            "SELECT count(*) FROM concerts_2014",
        ),
        // A write: refused by the guard on every attempt.
        (
            "Find number of pets owned by students who are older than 20.",
            "DELETE FROM has_pet",
        ),
        // Columns swapped: still the same result, still correct.
        (
            "Find the first name and age of students who have a pet.",
            "SELECT DISTINCT T1.age, T1.fname FROM student AS T1 JOIN has_pet AS T2 ON T1.stuid = T2.stuid",
        ),
    ]
    .into_iter()
    .collect();
    let wrong: BTreeMap<String, String> = wrong
        .into_iter()
        .map(|(q, s)| (q.to_string(), s.to_string()))
        .collect();
    fake.fallback(scripted(move |q| {
        wrong
            .get(q)
            .or_else(|| gold.get(q))
            .cloned()
            .unwrap_or_default()
    }));

    // The script answers a question the same way every time: dbqa stops at the second
    // attempt, when the model writes the SQL that just failed again.
    for (preset, attempts) in [(Preset::Default, 2), (Preset::Baseline, 1)] {
        let results = run_slice(&fake, preset).await;
        let summary = summarize(&results);
        assert_eq!(summary.correct, 7, "{preset:?}: {results:#?}");
        assert_eq!(summary.accuracy, 0.7);
        let outcomes: Vec<(Outcome, usize)> = summary.outcomes.into_iter().collect();
        // dbqa's guard refuses the write; the naive script runs it, and the read-only
        // database refuses it.
        let refused_write = if preset == Preset::Default {
            vec![(Outcome::GuardRejection, 1), (Outcome::SqlError, 1)]
        } else {
            vec![(Outcome::SqlError, 2)]
        };
        let mut expected = vec![(Outcome::Correct, 7), (Outcome::WrongResult, 1)];
        expected.extend(refused_write);
        assert_eq!(outcomes, expected, "{preset:?}");
        // Failing SQL is corrected in the default configuration only.
        let failed: Vec<u32> = results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::SqlError | Outcome::GuardRejection))
            .map(|r| r.corrections + 1)
            .collect();
        assert_eq!(failed, [attempts, attempts], "{preset:?}");
        // Each attempt is one LLM call, counted also when the question fails.
        let calls: Vec<u32> = results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::SqlError | Outcome::GuardRejection))
            .map(|r| r.llm_calls)
            .collect();
        assert_eq!(calls, [attempts, attempts], "{preset:?}");
        assert_eq!(summary.mean_llm_calls, (8 + 2 * attempts) as f64 / 10.0);
        assert_eq!(
            summary.per_database.get("concert_singer"),
            Some(&(5, 3)),
            "{preset:?}"
        );
        assert_eq!(summary.per_database.get("pets_1"), Some(&(5, 4)));
    }
}

/// `--examples loo`: a question never meets its own example, but a twin question of the
/// pool answers it with no LLM call.
#[tokio::test]
async fn leave_one_out_hides_the_question_itself() {
    let fake = FakeLlm::start().await;
    let gold = gold_by_question();
    fake.fallback(scripted(move |q| gold.get(q).cloned().unwrap_or_default()));
    let data = fixture();
    let first: Vec<(usize, Example)> = load_examples(&data)
        .expect("fixture dev.json")
        .into_iter()
        .enumerate()
        .take(1)
        .collect();
    let (question, sql) = (first[0].1.question.clone(), first[0].1.query.clone());
    let setup_with = |pool: Vec<(String, String)>| Setup {
        base_url: fake.base_url(),
        model: "fake-model".into(),
        tool_mode: ToolMode::Auto,
        preset: Preset::Default,
        llm_timeout_s: 30,
        env: Vec::new(),
        format: dbqa_agent::render::SchemaFormat::Compact,
        without: Vec::new(),
        leave_one_out: true,
        agent_per_question: false,
        example_pool: std::sync::Arc::new(BTreeMap::from([("concert_singer".to_string(), pool)])),
    };
    let alone = setup_with(vec![(question.clone(), sql.clone())]);
    let results = evaluate(&data, &first, &alone, |_| {}).await.expect("runs");
    assert_eq!(results[0].llm_calls, 1, "{results:#?}");
    assert_eq!(results[0].answer_mode, "template");

    let twin = setup_with(vec![
        (question, sql.clone()),
        ("How many singers are there?".into(), sql),
    ]);
    let results = evaluate(&data, &first, &twin, |_| {}).await.expect("runs");
    assert_eq!(results[0].llm_calls, 0, "{results:#?}");
    assert_eq!(results[0].answer_mode, "verified_example");
    assert_eq!(results[0].outcome, Outcome::Correct);
}

#[test]
fn every_demo_shop_question_has_gold_sql_that_returns_rows() {
    use super::sets::{QuestionSet, load};
    let mut seen = std::collections::BTreeSet::new();
    for set in [QuestionSet::DemoShop, QuestionSet::DemoShopTuning] {
        let questions = load(set, &fixture()).expect("demo shop questions");
        assert!(questions.len() >= 20, "{set:?}: {}", questions.len());
        for (_, example) in questions {
            let db = super::db_file(&fixture(), &example.db_id);
            let rows = super::score::execute(&db, &example.query)
                .unwrap_or_else(|e| panic!("{}: {e}", example.question));
            // A count of 0 or a sum over nothing is as empty an answer as no rows.
            let answers_something = rows
                .first()
                .is_some_and(|row| row.iter().any(|cell| cell != "null" && cell != "n:0"));
            assert!(answers_something, "no answer: {}", example.question);
            assert!(
                seen.insert(example.question.to_lowercase()),
                "asked twice: {}",
                example.question
            );
        }
    }
}
