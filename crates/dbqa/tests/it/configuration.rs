//! docs/CONFIGURATION.md lists exactly the variables the configuration code reads.

use std::collections::BTreeSet;

use crate::support::{read_doc, repo_root};

/// Whether `word` looks like an environment variable name (`UPPER_CASE`).
fn is_variable(word: &str) -> bool {
    word.len() > 2
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The backticked variable names in the first cell of every row of the tables whose
/// first header cell is `header`.
fn documented(markdown: &str, header: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_table = false;
    for line in markdown.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        let first = line
            .trim_start_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .trim();
        if first == header {
            in_table = true;
            continue;
        }
        if in_table && !first.starts_with("---") {
            for (i, part) in first.split('`').enumerate() {
                if i % 2 == 1 && is_variable(part) {
                    names.insert(part.to_string());
                }
            }
        }
    }
    names
}

/// The `"UPPER_CASE"` string literals outside comments and test modules of the files.
fn read_by_code(files: &[std::path::PathBuf]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for path in files {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, part) in line.split('"').enumerate() {
                if i % 2 == 1 && is_variable(part) {
                    names.insert(part.to_string());
                }
            }
        }
    }
    names
}

fn config_sources() -> Vec<std::path::PathBuf> {
    let dir = repo_root().join("crates/dbqa-core/src/config");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.ends_with("tests.rs"))
        .collect();
    files.sort();
    files
}

/// Every variable the agent's configuration reads.
pub(crate) fn config_variables() -> BTreeSet<String> {
    read_by_code(&config_sources())
}

#[test]
fn every_variable_the_code_reads_is_documented_and_nothing_else() {
    let doc = documented(&read_doc("CONFIGURATION.md"), "Variable");
    let code = config_variables();
    assert!(
        code.len() > 40,
        "too few variables found in the code: {code:?}"
    );
    let undocumented: Vec<_> = code.difference(&doc).collect();
    let stale: Vec<_> = doc.difference(&code).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "docs/CONFIGURATION.md is out of date.\n  read by crates/dbqa-core/src/config but not documented: {undocumented:?}\n  documented but not read: {stale:?}"
    );
}

#[test]
fn every_documented_default_is_the_one_a_bare_environment_gives() {
    // A few defaults a newcomer relies on, read back from the real configuration.
    let config = dbqa::AgentConfig::defaults();
    let doc = read_doc("CONFIGURATION.md");
    let row = |name: &str| -> String {
        doc.lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("no row for {name}"))
            .to_string()
    };
    let cases: Vec<(&str, String)> = vec![
        ("DB_POOL_SIZE", format!("| {} ", config.database.pool_size)),
        (
            "DB_MAX_OVERFLOW",
            format!("| {} ", config.database.max_overflow),
        ),
        (
            "DB_POOL_TIMEOUT",
            format!("| {} s |", config.database.pool_timeout.as_secs()),
        ),
        (
            "DB_POOL_RECYCLE",
            format!("| {} s |", config.database.pool_recycle.as_secs()),
        ),
        (
            "QUERY_TIMEOUT",
            format!("| {} s |", config.safety.query_timeout.as_secs()),
        ),
        (
            "MAX_RESULT_ROWS",
            format!("| {} ", config.safety.max_result_rows),
        ),
        (
            "MAX_QUESTION_LENGTH",
            format!("| {} characters |", config.safety.max_question_length),
        ),
        (
            "MAX_SQL_LENGTH",
            format!("| {} characters |", config.safety.max_sql_length),
        ),
        (
            "PROMPT_INJECTION",
            format!("| `{}` |", config.safety.prompt_injection),
        ),
        ("READ_ONLY", format!("| {} |", config.safety.read_only)),
        ("MODEL_STRATEGY", format!("| `{}` |", config.model.strategy)),
        (
            "MODEL_MAX_TOKENS",
            format!("| {} |", config.model.max_tokens),
        ),
        ("LLM_TOOL_MODE", format!("| `{}` |", config.model.tool_mode)),
        (
            "LLM_TIMEOUT",
            format!("| {} s |", config.model.request_timeout.as_secs()),
        ),
        (
            "LLM_MAX_RETRIES",
            format!("| {} ", config.model.max_retries),
        ),
        ("ANSWER_MODE", format!("| `{}` |", config.answer_mode)),
        ("MAX_RETRIES", format!("| {} ", config.max_retries)),
        (
            "LAZY_SCHEMA_LOADING",
            format!("| {} |", config.lazy_schema_loading),
        ),
        (
            "MAX_TABLES_IN_CONTEXT",
            format!("| {} |", config.max_tables_in_context),
        ),
        (
            "ENABLE_STREAMING",
            format!("| {} |", config.enable_streaming),
        ),
        ("WARMUP_ON_INIT", format!("| {} |", config.warmup_on_init)),
        ("CACHE_ENABLED", format!("| {} |", config.cache.enabled)),
        ("CACHE_BACKEND", format!("| `{}` |", config.cache.backend)),
        (
            "CACHE_SCHEMA_TTL",
            format!("| {} s |", config.cache.schema_ttl.as_secs()),
        ),
        (
            "CACHE_QUERY_TTL",
            format!("| {} s |", config.cache.query_ttl.as_secs()),
        ),
        (
            "CACHE_LLM_TTL",
            format!("| {} s |", config.cache.llm_ttl.as_secs()),
        ),
        (
            "CACHE_KEY_PREFIX",
            format!("| `{}` |", config.cache.key_prefix),
        ),
        (
            "CACHE_DB_PATH",
            format!("| `{}` |", config.cache.sqlite_path.display()),
        ),
        (
            "CACHE_MAX_ENTRIES",
            format!("| {} |", config.cache.max_entries),
        ),
        ("CACHE_MAX_BYTES", format!("| {} ", config.cache.max_bytes)),
        (
            "REDIS_URL",
            format!("| `{}` |", config.cache.redis_url.redacted()),
        ),
        (
            "SESSION_BACKEND",
            format!("| `{}` |", config.session_backend),
        ),
        (
            "SESSION_DB_PATH",
            format!("| `{}` ", config.session_db_path.display()),
        ),
        (
            "SSL_ENABLED",
            format!("| {} |", config.database.ssl.enabled),
        ),
        ("SSL_VERIFY", format!("| {} |", config.database.ssl.verify)),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(name, default)| !row(name).contains(default.as_str()))
        .map(|(name, default)| {
            format!(
                "{name}: expected the row to contain {default:?}: {}",
                row(name)
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "wrong defaults in docs/CONFIGURATION.md:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_server_variable_is_documented_and_nothing_else() {
    let source = repo_root().join("crates/dbqa-server/src/options.rs");
    let doc = documented(&read_doc("CONFIGURATION.md"), "Server variable");
    let code = read_by_code(&[source]);
    assert!(
        !code.is_empty(),
        "no DBQA_* variables found in dbqa-server's options.rs"
    );
    assert_eq!(
        doc, code,
        "the `Server variable` table of docs/CONFIGURATION.md differs from what crates/dbqa-server/src/options.rs reads"
    );
}
