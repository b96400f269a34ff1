//! Every cache key is built here, so the three levels never collide and two servers
//! sharing one cache agree on every key.
//!
//! Keys are `schema:<hash>`, `llm:<hash>` and `query:<hash>`, hashed with
//! [`dbqa_core::stable_hash`]. Parts are length-prefixed before hashing, so no two
//! different inputs can run together into the same text.

use dbqa_core::{Message, redact_url, stable_hash};
use serde::Serialize;

/// Hashes parts with length prefixes so `("ab", "c")` and `("a", "bc")` differ.
fn hash_parts(parts: &[&str]) -> String {
    let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len() + 9).sum());
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.push(b':');
        bytes.extend_from_slice(part.as_bytes());
    }
    stable_hash(&bytes)
}

/// Trims, collapses runs of whitespace to one space and lower-cases a question.
///
/// ```
/// assert_eq!(dbqa_cache::keys::normalize_question("  How MANY\n orders? "), "how many orders?");
/// ```
pub fn normalize_question(question: &str) -> String {
    question
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Trims a SQL statement, drops trailing semicolons and collapses whitespace outside
/// quoted literals and identifiers. Case is kept: literals and, on some servers, table
/// names are case-sensitive.
///
/// ```
/// assert_eq!(
///     dbqa_cache::keys::normalize_sql("SELECT  *\n FROM t WHERE a = 'x  y' ;"),
///     "SELECT * FROM t WHERE a = 'x  y'"
/// );
/// ```
pub fn normalize_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for c in sql.trim().chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => pending_space = true,
            None => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                if matches!(c, '\'' | '"' | '`') {
                    quote = Some(c);
                } else if c == '[' {
                    quote = Some(']');
                }
                out.push(c);
            }
        }
    }
    while quote.is_none() && (out.ends_with(';') || out.ends_with(' ')) {
        out.pop();
    }
    out
}

/// The identity of a database for keys: its URL with the password removed, so the
/// same database reached with a rotated password keeps its cache and no secret is
/// hashed into a key.
pub fn database_identity(url: &str) -> String {
    redact_url(url)
}

/// The schema-level key of a database (`url` may hold a password; it is removed).
///
/// ```
/// use dbqa_cache::keys::schema_key;
/// assert!(schema_key("postgres://app:pw@db/shop").starts_with("schema:"));
/// assert_eq!(schema_key("postgres://app:old@db/shop"), schema_key("postgres://app:new@db/shop"));
/// ```
pub fn schema_key(url: &str) -> String {
    format!("schema:{}", hash_parts(&[&database_identity(url)]))
}

/// A fingerprint of any serialisable value (a schema, a configuration).
pub fn fingerprint<T: Serialize + ?Sized>(value: &T) -> String {
    // Serialising plain data to JSON only fails for maps with non-string keys, which
    // dbqa's types do not have; an empty fingerprint then just shares one key space.
    stable_hash(&serde_json::to_vec(value).unwrap_or_default())
}

/// A fingerprint of the conversation before the current question, so a follow-up
/// ("and last year?") never hits another conversation's answer. Empty history has its
/// own fixed fingerprint.
pub fn session_fingerprint(history: &[Message]) -> String {
    fingerprint(history)
}

/// The LLM-response key: normalised question, schema fingerprint, session-context
/// fingerprint and model.
///
/// ```
/// use dbqa_cache::keys::llm_key;
/// let a = llm_key("How many  orders?", "schema1", "session1", "gpt-4o-mini");
/// assert_eq!(a, llm_key(" how many orders? ", "schema1", "session1", "gpt-4o-mini"));
/// assert_ne!(a, llm_key("how many orders?", "schema1", "session2", "gpt-4o-mini"));
/// assert!(a.starts_with("llm:"));
/// ```
pub fn llm_key(
    question: &str,
    schema_fingerprint: &str,
    session_fingerprint: &str,
    model: &str,
) -> String {
    let question = normalize_question(question);
    format!(
        "llm:{}",
        hash_parts(&[&question, schema_fingerprint, session_fingerprint, model])
    )
}

/// The query-result key: database identity (password removed) and normalised SQL.
///
/// ```
/// use dbqa_cache::keys::query_key;
/// let a = query_key("sqlite://shop.db", "SELECT 1;");
/// assert_eq!(a, query_key("sqlite://shop.db", " SELECT   1 "));
/// assert!(a.starts_with("query:"));
/// ```
pub fn query_key(database: &str, sql: &str) -> String {
    format!(
        "query:{}",
        hash_parts(&[&database_identity(database), &normalize_sql(sql)])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_normalise() {
        let check = |input: &str, expect: &str| assert_eq!(normalize_question(input), expect);
        check("", "");
        check("  Hi  ", "hi");
        check("Top\t5\r\nCUSTOMERS", "top 5 customers");
        check("Größe?", "größe?");
    }

    #[test]
    fn sql_normalises() {
        let check = |input: &str, expect: &str| assert_eq!(normalize_sql(input), expect, "{input}");
        check("select 1", "select 1");
        check("  SELECT\n\t1 ;;  ", "SELECT 1");
        check("SELECT 'a  ;'", "SELECT 'a  ;'");
        check(
            "SELECT \"My  Col\" FROM [My  Table]",
            "SELECT \"My  Col\" FROM [My  Table]",
        );
        check("SELECT `a  b`  FROM t", "SELECT `a  b` FROM t");
        check("SELECT 'it''s  x'", "SELECT 'it''s  x'");
        check("SELECT 'unterminated  ;", "SELECT 'unterminated  ;");
    }

    #[test]
    fn key_parts_cannot_run_together() {
        assert_ne!(llm_key("q", "ab", "c", "m"), llm_key("q", "a", "bc", "m"));
        assert_ne!(query_key("db", "SELECT 1"), query_key("db2", "SELECT 1"));
        assert_ne!(query_key("db", "SELECT 'A'"), query_key("db", "SELECT 'a'"));
    }

    #[test]
    fn levels_are_namespaced() {
        let same = "x";
        let keys = [
            schema_key(same),
            llm_key(same, same, same, same),
            query_key(same, same),
        ];
        let prefixes: Vec<_> = keys
            .iter()
            .map(|k| k.split(':').next().unwrap_or(""))
            .collect();
        assert_eq!(prefixes, ["schema", "llm", "query"]);
    }

    #[test]
    fn session_context_changes_the_llm_key() {
        let empty = session_fingerprint(&[]);
        let one = session_fingerprint(&[Message::user("orders in 2024?")]);
        assert_ne!(empty, one);
        assert_ne!(
            llm_key("and last year?", "s", &empty, "m"),
            llm_key("and last year?", "s", &one, "m")
        );
    }
}
