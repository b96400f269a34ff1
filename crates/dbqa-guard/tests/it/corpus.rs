//! The verdict corpus: `corpus/*.sql` files of cases, each run through the dialects it
//! names, with the verdicts snapshotted.
//!
//! A file holds cases separated by `-- case: <name>` lines. Directly after that line,
//! optional directives:
//! - `-- dialects: sqlite postgres` (default: all four);
//! - `-- config: allow=a,b block=c,d functions=f,g schema=s database=d case_insensitive
//!   max_rows=10 read_write catalogs max_length=20` (`schema`, `database` and
//!   `case_insensitive` set the server's [`NameRules`](dbqa_core::NameRules)).
//!
//! Everything up to the next `-- case:` line is the SQL (trailing blank lines trimmed).
//! Dialects that give the same verdict are printed together.

use dbqa_core::{ALL_DIALECTS, Dialect};
use dbqa_guard::GuardConfig;

use super::verdict_json;

struct Case {
    name: String,
    dialects: Vec<Dialect>,
    config: Vec<String>,
    sql: String,
}

fn parse_cases(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("-- case:") {
            cases.push(Case {
                name: name.trim().to_string(),
                dialects: ALL_DIALECTS.to_vec(),
                config: Vec::new(),
                sql: String::new(),
            });
            continue;
        }
        let Some(case) = cases.last_mut() else {
            continue;
        };
        if case.sql.is_empty() {
            if let Some(list) = line.strip_prefix("-- dialects:") {
                case.dialects = list
                    .split_whitespace()
                    .map(|d| d.parse().expect("dialect name"))
                    .collect();
                continue;
            }
            if let Some(list) = line.strip_prefix("-- config:") {
                case.config = list.split_whitespace().map(str::to_string).collect();
                continue;
            }
        }
        case.sql.push_str(line);
        case.sql.push('\n');
    }
    for case in &mut cases {
        case.sql = case.sql.trim_end().to_string();
    }
    cases
}

fn list(value: &str) -> Vec<String> {
    value.split(',').map(str::to_string).collect()
}

fn config(dialect: Dialect, directives: &[String]) -> GuardConfig {
    let mut config = GuardConfig::new(dialect);
    for directive in directives {
        let (key, value) = directive.split_once('=').unwrap_or((directive, ""));
        let rules = config.name_rules.clone();
        config = match key {
            "allow" => config.allowed_tables(list(value)),
            "block" => config.blocked_tables(list(value)),
            "functions" => config.allowed_functions(list(value)),
            "schema" => config.name_rules(rules.with_default_schema(Some(value.into()))),
            "database" => config.name_rules(rules.with_default_database(Some(value.into()))),
            "case_insensitive" => config.name_rules(rules.with_case_sensitive(false)),
            "max_rows" => config.max_rows(Some(value.parse().expect("max_rows number"))),
            "max_length" => config.max_length(value.parse().expect("max_length number")),
            "read_write" => config.read_only(false),
            "catalogs" => config.allow_system_catalogs(true),
            other => panic!("unknown config directive `{other}`"),
        };
    }
    config
}

/// Runs every case of a corpus file and renders the verdicts.
fn run_file(text: &str) -> (String, usize) {
    let cases = parse_cases(text);
    let mut out = String::new();
    for case in &cases {
        out.push_str(&format!("## {}\n", case.name));
        if !case.config.is_empty() {
            out.push_str(&format!("config: {}\n", case.config.join(" ")));
        }
        out.push_str(&case.sql);
        out.push('\n');
        let mut groups: Vec<(Vec<Dialect>, String)> = Vec::new();
        for &dialect in &case.dialects {
            let verdict = verdict_json(config(dialect, &case.config), &case.sql);
            match groups.iter_mut().find(|(_, v)| *v == verdict) {
                Some((dialects, _)) => dialects.push(dialect),
                None => groups.push((vec![dialect], verdict)),
            }
        }
        for (dialects, verdict) in groups {
            let names: Vec<&str> = dialects.iter().map(|d| d.name()).collect();
            out.push_str(&format!("=> {}: {verdict}\n", names.join(",")));
        }
        out.push('\n');
    }
    (out, cases.len())
}

#[test]
fn corpus_verdicts() {
    insta::glob!("corpus/*.sql", |path| {
        let text = std::fs::read_to_string(path).expect("corpus file");
        let (rendered, _) = run_file(&text);
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn corpus_has_at_least_150_cases_and_every_violation_kind() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/corpus");
    let mut cases = 0;
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("corpus file");
        let (rendered, count) = run_file(&text);
        cases += count;
        all.push_str(&rendered);
    }
    assert!(cases >= 150, "only {cases} corpus cases");
    for kind in [
        "empty",
        "too_long",
        "parse",
        "multiple_statements",
        "not_read_only",
        "forbidden_function",
        "table_not_allowed",
        "table_blocked",
        "other_database",
        "system_catalog",
        "unbounded_limit",
        "select_star",
        "join_without_condition",
        "row_limit_applied",
    ] {
        assert!(
            all.contains(&format!("\"kind\":\"{kind}\"")),
            "no corpus case produces `{kind}`"
        );
    }
}
