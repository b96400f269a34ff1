//! Verified examples: questions with SQL a person confirmed (a 👍, `dbqa examples add`,
//! `EXAMPLES_FILE`). This module knows how alike two questions are, by meaning rather than
//! spelling ([`similarity`]: the same stem or a shared synonym set, from
//! `lexicon.rs`), when two questions ask the same thing ([`same_question`]: every
//! word matched and every number or name equal), and how an example file reads. The
//! stage that uses them is `verified.rs`.

use std::path::Path;

use dbqa_core::VerifiedExample;
use serde::Deserialize;

use crate::lexicon::{lexicon, split_words};

/// Words that carry no meaning of their own in a question about data. Negations,
/// comparisons, `or` and prepositions of time or order are not here: they change the
/// answer.
const FUNCTION_WORDS: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "of",
    "what", "which", "who", "whom", "whose", "show", "list", "give", "me", "us", "tell", "please",
    "find", "display", "return", "get", "there", "that", "this", "these", "those", "it", "its",
    "and", "to", "for", "in", "on", "at", "by", "with", "from", "as", "all", "each", "every", "i",
    "we", "you", "can", "could", "would", "will", "want", "know", "see", "our", "my", "their",
    "his", "her", "have", "has", "had",
];

/// What a synonym match counts for, against 1 for the same stem.
const SYNONYM: f32 = 0.75;

/// One meaningful word of a question.
#[derive(Debug)]
struct Word {
    stem: String,
    sets: Vec<u32>,
    /// A number, or a word no synonym set knows (a name, a code): it must match as is.
    literal: bool,
}

fn words(question: &str) -> Vec<Word> {
    let lexicon = lexicon();
    split_words(question)
        .into_iter()
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()))
        .map(|w| {
            let stem = lexicon.stem(&w);
            let sets = lexicon.sets(&stem);
            let literal = sets.is_empty() || w.chars().any(|c| c.is_ascii_digit());
            Word {
                stem,
                sets,
                literal,
            }
        })
        .collect()
}

/// How well `word` is matched by some word of `other`: 1 for the same stem, less for a
/// shared synonym set (never for literals), else 0.
fn matched(word: &Word, other: &[Word]) -> f32 {
    other.iter().fold(0.0, |best, o| {
        let score = if word.stem == o.stem {
            1.0
        } else if !word.literal && !o.literal && meet(&word.sets, &o.sets) {
            SYNONYM
        } else {
            0.0
        };
        f32::max(best, score)
    })
}

fn meet(a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|x| b.binary_search(x).is_ok())
}

/// How alike two questions are, from 0 to 1: each meaningful word of either scored by
/// its best match in the other, averaged.
///
/// ```
/// use dbqa_agent::examples::similarity;
/// let close = similarity("How many clients live in Lyon?", "Number of customers living in Lyon");
/// let far = similarity("How many clients live in Lyon?", "Average price of products");
/// assert!(close > 0.6 && far < 0.2, "{close} {far}");
/// ```
pub fn similarity(a: &str, b: &str) -> f32 {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let total: f32 = a.iter().map(|w| matched(w, &b)).sum::<f32>()
        + b.iter().map(|w| matched(w, &a)).sum::<f32>();
    total / (a.len() + b.len()) as f32
}

/// Whether two questions ask the same thing: every meaningful word of each is matched in
/// the other (by stem or synonym), and their numbers and names are the same.
///
/// ```
/// use dbqa_agent::examples::same_question;
/// assert!(same_question("How many customers are in France?", "how many clients in france"));
/// assert!(!same_question("How many customers are in France?", "How many customers are in Spain?"));
/// assert!(!same_question("Orders in 2024", "Orders in 2025"));
/// assert!(!same_question("Customers who ordered", "Customers who never ordered"));
/// ```
pub fn same_question(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let covered = |x: &[Word], y: &[Word]| x.iter().all(|w| matched(w, y) > 0.0);
    covered(&a, &b) && covered(&b, &a) && literals(&a) == literals(&b)
}

/// The stems of the literal words, each once, sorted.
fn literals(words: &[Word]) -> Vec<&str> {
    let mut stems: Vec<&str> = words
        .iter()
        .filter(|w| w.literal)
        .map(|w| w.stem.as_str())
        .collect();
    stems.sort_unstable();
    stems.dedup();
    stems
}

/// The id of a question's example: the same for the same words, whatever the case,
/// spacing or closing punctuation.
pub fn example_id(question: &str) -> String {
    let normal = split_words(question).join(" ");
    dbqa_core::stable_hash(normal.as_bytes())
}

/// A verified example for `question` and `sql`, confirmed now.
pub fn new_example(question: &str, sql: &str) -> VerifiedExample {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    VerifiedExample {
        id: example_id(question),
        question: question.trim().to_string(),
        sql: sql.trim().to_string(),
        added_at_ms: now,
    }
}

/// Why an `EXAMPLES_FILE` cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "EXAMPLES_FILE {path}: {message} (expected a JSON array of {{\"question\": …, \"sql\": …}})"
)]
pub struct ExamplesFileError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// The examples of a file: a JSON array of `{"question": …, "sql": …}` objects.
pub fn load_file(path: &Path) -> Result<Vec<VerifiedExample>, ExamplesFileError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        question: String,
        sql: String,
    }
    let error = |message: String| ExamplesFileError {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let entries: Vec<Entry> = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
    Ok(entries
        .iter()
        .filter(|e| !e.question.trim().is_empty() && !e.sql.trim().is_empty())
        .map(|e| VerifiedExample {
            added_at_ms: 0,
            ..new_example(&e.question, &e.sql)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_ignore_case_spacing_and_punctuation() {
        assert_eq!(
            example_id("How many customers?"),
            example_id("  how many   Customers ")
        );
        assert_ne!(
            example_id("How many customers?"),
            example_id("How many orders?")
        );
    }

    #[test]
    fn similar_questions_rank_above_others() {
        let question = "Which products cost more than 100?";
        let near = similarity(question, "Products with a price over 50");
        let far = similarity(question, "How many employees work in Paris?");
        assert!(near > far, "{near} {far}");
        assert_eq!(similarity("", question), 0.0);
    }

    #[test]
    fn a_comparison_or_negation_makes_another_question() {
        assert!(!same_question("Cheapest product", "Most expensive product"));
        assert!(!same_question(
            "Customers with orders",
            "Customers without orders"
        ));
        assert!(same_question("List all the customers", "Show customers"));
    }

    #[test]
    fn example_files_are_read_and_bad_ones_named() {
        let dir = tempfile::tempdir().expect("dir");
        let good = dir.path().join("examples.json");
        std::fs::write(
            &good,
            r#"[{"question": "How many customers?", "sql": "SELECT COUNT(*) FROM customers"}]"#,
        )
        .expect("write");
        let examples = load_file(&good).expect("read");
        assert_eq!(examples.len(), 1);
        assert_eq!(examples[0].id, example_id("How many customers?"));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"[{"q": "x"}]"#).expect("write");
        let error = load_file(&bad).expect_err("bad file");
        assert!(error.to_string().contains("bad.json"), "{error}");
    }
}
