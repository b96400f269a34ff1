//! `dbqa check` through the real binary: verdicts, JSON lines, exit codes.

use serde_json::Value;

use crate::dbqa;

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = dbqa(dir.path())
        .arg("check")
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn accepted_statement_exits_zero_with_the_rewritten_sql() {
    let (code, out, _) = run(&["--max-rows", "5", "SELECT name FROM customers"], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("accepted"), "{out}");
    assert!(out.contains("LIMIT 5"), "{out}");
}

#[test]
fn rejected_statement_exits_one_and_names_each_violation() {
    let (code, out, _) = run(&["COMMIT; DROP TABLE customers"], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("multiple_statements"), "{out}");
    assert!(out.contains("not_read_only"), "{out}");
}

#[test]
fn json_verdict_has_the_documented_shape() {
    let (code, out, _) = run(
        &[
            "--json",
            "--dialect",
            "postgres",
            "--block-tables",
            "secrets",
        ],
        "SELECT * FROM public.Secrets",
    );
    assert_eq!(code, 1);
    let verdict: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verdict["verdict"], "rejected");
    let kinds: Vec<&str> = verdict["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["table_blocked"]);
    for key in ["sql", "tables", "warnings", "violations"] {
        assert!(verdict.get(key).is_some(), "missing {key}: {out}");
    }
}

#[test]
fn allow_list_and_read_write_flags_take_effect() {
    let (code, _, _) = run(&["--allow-tables", "orders", "SELECT 1 FROM customers"], "");
    assert_eq!(code, 1);
    let (code, _, _) = run(
        &[
            "--allow-tables",
            "orders,customers",
            "SELECT 1 FROM customers",
        ],
        "",
    );
    assert_eq!(code, 0);
    let (code, _, _) = run(&["DELETE FROM orders"], "");
    assert_eq!(code, 1);
    let (code, out, _) = run(&["--read-write", "DELETE FROM orders"], "");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn jsonl_checks_one_statement_per_line() {
    let input =
        "{\"sql\": \"SELECT 1\"}\n{\"sql\": \"DROP TABLE t\"}\n\n{\"sql\": \"SELECT a FROM t\"}\n";
    let (code, out, _) = run(&["--jsonl"], input);
    assert_eq!(code, 1);
    let verdicts: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["verdict"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(verdicts, ["accepted", "rejected", "accepted"]);
}

#[test]
fn jsonl_bad_line_is_reported_and_exits_two() {
    let (code, out, _) = run(&["--jsonl"], "{\"sql\": \"SELECT 1\"}\nnot json\n");
    assert_eq!(code, 2);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["verdict"], "accepted");
    assert!(
        lines[1]["error"].as_str().unwrap().contains("line 2"),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_two() {
    let (code, _, err) = run(&["--dialect", "oracle", "SELECT 1"], "");
    assert_eq!(code, 2, "{err}");
}
