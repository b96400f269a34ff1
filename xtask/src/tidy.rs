//! `cargo xtask tidy`: invariants of the source that tests do not see.
//!
//! - every Rust file opens with a `//!` doc saying what it owns;
//! - no comment cites a file that is not in the repository (a design note kept
//!   elsewhere, a module since moved) or an issue by number (the repository has none);
//! - no identifier of the Spider benchmark (its database and table names) appears in
//!   non-test source: a heuristic that names a benchmark's tables tunes dbqa to it.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::eval::repo_root;

/// Database and table names of the Spider dev set that are not plain English words.
const BENCHMARK_NAMES: &[&str] = &[
    "area_code_state",
    "battle_death",
    "car_1",
    "car_makers",
    "car_names",
    "cars_data",
    "concert_singer",
    "countrylanguage",
    "course_arrange",
    "course_teach",
    "cre_doc_template_mgt",
    "degree_programs",
    "dog_kennels",
    "employee_hire_evaluation",
    "flight_2",
    "has_pet",
    "highschooler",
    "model_list",
    "museum_visit",
    "network_1",
    "other_available_features",
    "other_property_features",
    "pets_1",
    "poker_player",
    "real_estate_properties",
    "ref_feature_types",
    "ref_property_types",
    "ref_template_types",
    "singer_in_concert",
    "student_enrolment",
    "student_enrolment_courses",
    "student_transcripts_tracking",
    "transcript_contents",
    "treatment_types",
    "tv_channel",
    "tv_series",
    "tvshow",
    "voter_1",
    "world_1",
    "wta_1",
];

/// Directories never scanned.
const SKIPPED_DIRS: &[&str] = &["target", ".git", "node_modules", "snapshots", "fixtures"];

/// Extensions a cited file may have.
const CITED: &[&str] = &[
    ".md", ".rs", ".toml", ".json", ".html", ".sql", ".yaml", ".mjs",
];

/// Runs `cargo xtask tidy`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("cargo xtask tidy takes no arguments, not `{arg}`");
    }
    let root = repo_root();
    let mut files = Vec::new();
    collect(&root, &mut files);
    let mut problems = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .display()
            .to_string();
        problems.extend(check_file(&root, path, &shown, &text));
    }
    if problems.is_empty() {
        println!("tidy: {} Rust files, no problem", files.len());
        return Ok(());
    }
    for problem in &problems {
        eprintln!("{problem}");
    }
    bail!("tidy: {} problem(s)", problems.len())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) && !name.starts_with('.') {
                collect(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Whether a file is test code as a whole: a `tests/` directory, `tests.rs`,
/// `testutil.rs`, `testing/`, or xtask (which measures the benchmark by design).
fn is_test_file(shown: &str) -> bool {
    shown.starts_with("tests/")
        || shown.starts_with("xtask/")
        || shown.contains("/tests/")
        || shown.contains("/testing/")
        || shown.contains("/benches/")
        || shown.contains("/examples/")
        || shown.ends_with("/tests.rs")
        || shown.ends_with("/testutil.rs")
}

/// The problems of one file.
pub(crate) fn check_file(root: &Path, path: &Path, shown: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.trim_start().starts_with("//!") {
        problems.push(format!(
            "{shown}: does not open with a `//!` doc saying what it owns"
        ));
    }
    let dir = path.parent().unwrap_or(root);
    let mut in_code = false;
    for (n, line) in text.lines().enumerate() {
        let Some(comment) = comment_of(line) else {
            continue;
        };
        // Code examples in docs are code, not prose citing files.
        if comment
            .trim_start_matches('/')
            .trim_start_matches('!')
            .trim()
            .starts_with("```")
        {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        for cited in cited_files(comment) {
            if !exists(root, dir, &cited) {
                problems.push(format!(
                    "{shown}:{}: cites `{cited}`, which is not in the repository",
                    n + 1
                ));
            }
        }
        if cites_issue(comment) {
            problems.push(format!(
                "{shown}:{}: cites an issue by number; say what is meant instead",
                n + 1
            ));
        }
    }
    if !is_test_file(shown) {
        // Unit tests at the end of a file may name anything.
        let source = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or(text)
            .to_lowercase();
        for name in BENCHMARK_NAMES {
            if contains_word(&source, name) {
                problems.push(format!(
                    "{shown}: names the benchmark's `{name}` outside tests: tuning to Spider, not generalising"
                ));
            }
        }
    }
    problems
}

/// The comment part of a line (`//`, `///`, `//!`), outside string literals roughly.
fn comment_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") {
        return Some(trimmed);
    }
    // A trailing comment after code, when the line has no string literal before it.
    let at = line.find(" // ")?;
    (!line[..at].contains('"')).then(|| &line[at..])
}

/// Files cited that live outside the repository on purpose: the Spider set's own schema
/// file, which the evaluation reads beside the repository.
const EXTERNAL: &[&str] = &["tables.json"];

/// File names a comment cites (`docs/ARCHITECTURE.md`, `lib.rs`); URL paths, globs,
/// build outputs and field accesses in code (`x.sql`) are not citations.
fn cited_files(comment: &str) -> Vec<String> {
    comment
        .split(|c: char| c.is_whitespace() || "`()[],;'\"<>".contains(c))
        .map(|w| w.trim_end_matches(['.', ':', '§']))
        .filter(|w| CITED.iter().any(|ext| w.ends_with(ext)))
        .filter(|w| {
            let stem = Path::new(w)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string());
            stem.is_some_and(|s| s.len() > 1)
                && !w.contains("://")
                && !w.starts_with(['/', '.', '*', '?'])
                && !w.contains(['*', '{'])
                && !w.starts_with("target/")
                && !EXTERNAL.contains(w)
        })
        .map(str::to_string)
        .collect()
}

/// Whether `cited` exists relative to the repository root, the file's directory, the
/// crate's `src/`, `docs/`, or anywhere in the tree by its name.
fn exists(root: &Path, dir: &Path, cited: &str) -> bool {
    let candidates = [
        root.join(cited),
        dir.join(cited),
        root.join("docs").join(cited),
    ];
    if candidates.iter().any(|c| c.exists()) {
        return true;
    }
    let name = Path::new(cited)
        .file_name()
        .map(|n| n.to_string_lossy().to_string());
    name.is_some_and(|name| found_anywhere(root, &name))
}

fn found_anywhere(dir: &Path, name: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        let entry_name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            entry_name != "target" && !entry_name.starts_with('.') && found_anywhere(&path, name)
        } else {
            entry_name == name
        }
    })
}

/// `issue 7`, `issue #7`, `#12 says`: an issue cited by number.
fn cites_issue(comment: &str) -> bool {
    let lower = comment.to_lowercase();
    let words: Vec<&str> = lower
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| "()[],.;:".contains(c)))
        .collect();
    words.windows(2).any(|w| {
        (w[0] == "issue" || w[0] == "issues")
            && w[1]
                .trim_start_matches('#')
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
    })
}

/// Whether `name` occurs in `text` as a whole word (not inside a longer identifier).
fn contains_word(text: &str, name: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(shown: &str, text: &str) -> Vec<String> {
        let root = repo_root();
        check_file(&root, &root.join(shown), shown, text)
    }

    #[test]
    fn a_file_without_its_doc_is_a_problem() {
        assert_eq!(
            problems("crates/x/src/a.rs", "//! Owns a.\nfn a() {}\n"),
            Vec::<String>::new()
        );
        assert_eq!(problems("crates/x/src/a.rs", "fn a() {}\n").len(), 1);
    }

    #[test]
    fn cited_files_must_exist_and_issues_are_not_cited() {
        let ok = "//! See docs/ARCHITECTURE.md and `Cargo.toml`.\n";
        assert!(problems("crates/x/src/a.rs", ok).is_empty());
        let missing = "//! Owns a.\n// As DESIGN_NOTES.md §3 says (issue 7).\n";
        let found = problems("crates/x/src/a.rs", missing);
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn benchmark_names_outside_tests_are_a_problem() {
        let text = "//! Owns a.\nconst T: &str = \"countrylanguage\";\n#[cfg(test)]\nmod tests { const U: &str = \"world_1\"; }\n";
        let found = problems("crates/x/src/a.rs", text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("countrylanguage"));
        assert!(problems("crates/x/tests/it/a.rs", text).is_empty());
        // A longer identifier holding a name is not that name.
        assert!(!contains_word("my_world_1_thing", "world_1"));
    }
}
