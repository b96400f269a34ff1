//! Relevant-table selection: which tables a question needs, so the prompt describes only
//! those in full (`LAZY_SCHEMA_LOADING`, `MAX_TABLES_IN_CONTEXT`).
//!
//! Tables are ranked by how many of the question's words match their name, column names
//! and comments after light normalisation: lower case, snake/camel-case splitting,
//! plural/singular folding and a short synonym list (`client` ~ `customer`, `staff` ~
//! `employee`, `item` ~ `product`, …). Then tables needed to join the top tables through
//! foreign keys are pulled in, and the count is capped. A schema with no more tables than
//! the cap goes in whole.

use std::collections::{BTreeSet, HashSet};

use dbqa_core::{Schema, Table};
use serde::Serialize;

/// A table chosen for the prompt, with why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredTable {
    /// The table's name as the schema spells it.
    pub name: String,
    /// Match score against the question (0 for tables pulled in for joins or as filler).
    pub score: f32,
    /// A short human explanation (`name matches "customer"`, `joins orders and products`).
    pub reason: String,
}

/// The outcome of [`select_tables`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selection {
    /// Chosen tables, most relevant first.
    pub tables: Vec<ScoredTable>,
    /// Tables in the schema.
    pub total_tables: usize,
    /// True when the schema was small enough to go in whole.
    pub whole_schema: bool,
}

impl Selection {
    /// The chosen table names, most relevant first.
    pub fn names(&self) -> Vec<&str> {
        self.tables.iter().map(|t| t.name.as_str()).collect()
    }

    /// Whether `name` (case-insensitive) was chosen.
    pub fn contains(&self, name: &str) -> bool {
        self.tables
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(name))
    }
}

/// Picks at most `max_tables` tables of `schema` that `question` most likely needs.
///
/// ```
/// use dbqa_core::{Column, Dialect, Schema, Table, TableKind};
/// let table = |name: &str| Table {
///     schema: None, name: name.into(), kind: TableKind::Table,
///     columns: vec![Column { name: "id".into(), data_type: "int".into(), nullable: false, default: None, comment: None }],
///     primary_key: None, foreign_keys: vec![], indexes: vec![], comment: None, definition: None,
/// };
/// let schema = Schema { dialect: Dialect::Sqlite, tables: vec![table("customers"), table("orders"), table("staff")] };
/// let selection = dbqa_agent::selection::select_tables(&schema, "How many clients are there?", 1);
/// assert_eq!(selection.names(), ["customers"]);
/// ```
pub fn select_tables(schema: &Schema, question: &str, max_tables: usize) -> Selection {
    let max_tables = max_tables.max(1);
    let words = question_terms(question);
    let mut scored: Vec<(usize, f32, String)> = schema
        .tables
        .iter()
        .enumerate()
        .map(|(i, table)| {
            let (score, reason) = score_table(table, &words);
            (i, score, reason)
        })
        .collect();
    // Highest score first; ties keep schema order (stable sort).
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));

    if schema.tables.len() <= max_tables {
        let tables = scored
            .into_iter()
            .map(|(i, score, reason)| ScoredTable {
                name: schema.tables[i].name.clone(),
                score,
                reason: if score > 0.0 {
                    reason
                } else {
                    String::from("small schema: every table included")
                },
            })
            .collect();
        return Selection {
            tables,
            total_tables: schema.tables.len(),
            whole_schema: true,
        };
    }

    let graph = Graph::new(schema);
    let mut chosen: Vec<ScoredTable> = Vec::new();
    let mut taken: HashSet<usize> = HashSet::new();
    for (i, score, reason) in scored.iter().filter(|s| s.1 > 0.0) {
        if chosen.len() >= max_tables {
            break;
        }
        // A table that cannot join what we already have directly, but can through one or
        // two other tables (customers -- orders -- order_items -- products), brings them along.
        let path = if taken.is_empty() || taken.iter().any(|&t| graph.adjacent(t, *i)) {
            Vec::new()
        } else {
            graph.path_to(&taken, *i)
        };
        let fits = chosen.len() + 1 + path.len() <= max_tables;
        push(&mut chosen, &mut taken, schema, *i, *score, reason.clone());
        if fits && !path.is_empty() {
            let target = schema.tables[*i].name.clone();
            for b in path {
                push(
                    &mut chosen,
                    &mut taken,
                    schema,
                    b,
                    0.0,
                    format!("joins {target} to the tables above"),
                );
            }
        }
    }

    // Room left: foreign-key neighbours of the chosen tables, best-connected first, then
    // (when nothing matched at all) the most connected tables of the schema.
    if chosen.len() < max_tables {
        let mut neighbours: Vec<(usize, usize)> = (0..schema.tables.len())
            .filter(|n| !taken.contains(n))
            .map(|n| (n, taken.iter().filter(|&&t| graph.adjacent(t, n)).count()))
            .filter(|&(_, links)| links > 0)
            .collect();
        neighbours.sort_by_key(|n| std::cmp::Reverse(n.1));
        for (n, _) in neighbours {
            if chosen.len() >= max_tables {
                break;
            }
            let via = taken
                .iter()
                .copied()
                .find(|&t| graph.adjacent(t, n))
                .map(|t| schema.tables[t].name.clone())
                .unwrap_or_default();
            push(
                &mut chosen,
                &mut taken,
                schema,
                n,
                0.0,
                format!("foreign-key neighbour of {via}"),
            );
        }
    }
    if chosen.is_empty() {
        let mut by_degree: Vec<usize> = (0..schema.tables.len()).collect();
        by_degree.sort_by_key(|&t| std::cmp::Reverse(graph.degree(t)));
        for t in by_degree.into_iter().take(max_tables) {
            push(
                &mut chosen,
                &mut taken,
                schema,
                t,
                0.0,
                String::from("no name matched: most connected table"),
            );
        }
    }

    Selection {
        tables: chosen,
        total_tables: schema.tables.len(),
        whole_schema: false,
    }
}

fn push(
    chosen: &mut Vec<ScoredTable>,
    taken: &mut HashSet<usize>,
    schema: &Schema,
    index: usize,
    score: f32,
    reason: String,
) {
    if taken.insert(index) {
        chosen.push(ScoredTable {
            name: schema.tables[index].name.clone(),
            score,
            reason,
        });
    }
}

/// Undirected foreign-key adjacency between tables (by index).
struct Graph {
    edges: Vec<BTreeSet<usize>>,
}

impl Graph {
    fn new(schema: &Schema) -> Self {
        let mut edges = vec![BTreeSet::new(); schema.tables.len()];
        for (from, table) in schema.tables.iter().enumerate() {
            for fk in &table.foreign_keys {
                let target = schema
                    .tables
                    .iter()
                    .position(|t| t.name.eq_ignore_ascii_case(&fk.referenced_table));
                if let Some(to) = target.filter(|&to| to != from) {
                    edges[from].insert(to);
                    edges[to].insert(from);
                }
            }
        }
        Self { edges }
    }

    fn adjacent(&self, a: usize, b: usize) -> bool {
        self.edges.get(a).is_some_and(|e| e.contains(&b))
    }

    fn degree(&self, a: usize) -> usize {
        self.edges.get(a).map_or(0, BTreeSet::len)
    }

    /// The tables between `target` and the nearest of `taken` (at most two, fewest
    /// first); empty when none is within three joins.
    fn path_to(&self, taken: &HashSet<usize>, target: usize) -> Vec<usize> {
        let mut previous: Vec<Option<usize>> = vec![None; self.edges.len()];
        let mut frontier = vec![target];
        let mut seen: HashSet<usize> = HashSet::from([target]);
        for _depth in 0..3 {
            let mut next = Vec::new();
            for &node in &frontier {
                for &n in self.edges.get(node).into_iter().flatten() {
                    if !seen.insert(n) {
                        continue;
                    }
                    previous[n] = Some(node);
                    if taken.contains(&n) {
                        let mut path = Vec::new();
                        let mut at = node;
                        while at != target {
                            path.push(at);
                            at = match previous[at] {
                                Some(p) => p,
                                None => break,
                            };
                        }
                        return path;
                    }
                    next.push(n);
                }
            }
            frontier = next;
        }
        Vec::new()
    }
}

/// Scores one table: a name word match counts 3, a column-name match 1, a comment match
/// 0.5 (each question word counted once per kind); matching the whole name adds 2.
fn score_table(table: &Table, question: &BTreeSet<String>) -> (f32, String) {
    if question.is_empty() {
        return (0.0, String::new());
    }
    let name_terms = terms(&table.name);
    let name_hits: Vec<&String> = name_terms
        .iter()
        .filter(|t| question.contains(*t) || contains_question_word(t, question))
        .collect();
    let mut column_hits: BTreeSet<&String> = BTreeSet::new();
    let mut comment_hits: BTreeSet<String> = BTreeSet::new();
    for column in &table.columns {
        for term in terms(&column.name) {
            if let Some(q) = question.get(&term) {
                column_hits.insert(q);
            }
        }
        if let Some(comment) = &column.comment {
            comment_hits.extend(terms(comment).into_iter().filter(|t| question.contains(t)));
        }
    }
    if let Some(comment) = &table.comment {
        comment_hits.extend(terms(comment).into_iter().filter(|t| question.contains(t)));
    }
    let mut score = 3.0 * name_hits.len() as f32
        + 1.0 * column_hits.len() as f32
        + 0.5 * comment_hits.len() as f32;
    if !name_terms.is_empty() && name_hits.len() == name_terms.len() {
        score += 2.0;
    }
    let mut parts = Vec::new();
    if !name_hits.is_empty() {
        parts.push(format!(
            "name matches {}",
            quoted(name_hits.iter().copied())
        ));
    }
    if !column_hits.is_empty() {
        parts.push(format!(
            "columns match {}",
            quoted(column_hits.iter().copied())
        ));
    }
    if !comment_hits.is_empty() {
        parts.push(format!("comment matches {}", quoted(comment_hits.iter())));
    }
    (score, parts.join("; "))
}

/// A long compound name part holds a question word (`countrylanguage` for "languages",
/// `highschooler` for "schoolers"): names glued without a separator still match.
fn contains_question_word(name_term: &str, question: &BTreeSet<String>) -> bool {
    const MIN_COMPOUND: usize = 8;
    const MIN_WORD: usize = 4;
    name_term.len() >= MIN_COMPOUND
        && question
            .iter()
            .any(|q| q.len() >= MIN_WORD && q != name_term && name_term.contains(q.as_str()))
}

fn quoted<'a>(words: impl Iterator<Item = &'a String>) -> String {
    words
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Words of a question that carry meaning, normalised.
fn question_terms(question: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Two words written apart may name one table (`high schoolers` for `Highschooler`).
    let words = split_words(question);
    for pair in words.windows(2) {
        let joined = singular(&format!("{}{}", pair[0], pair[1]));
        out.insert(canonical(&joined).to_string());
    }
    for word in terms(question) {
        if STOPWORDS.contains(&word.as_str()) {
            continue;
        }
        out.extend(
            verb_stems(&word)
                .into_iter()
                .map(|w| canonical(&w).to_string()),
        );
        out.insert(word);
    }
    out
}

/// Candidate stems of an inflected verb (`ordered` → `order`, `shipped` → `ship`,
/// `hired` → `hire`, `selling` → `sell`), tried as extra question words.
fn verb_stems(word: &str) -> Vec<String> {
    let mut stems = Vec::new();
    let stem = word
        .strip_suffix("ed")
        .or_else(|| word.strip_suffix("ing"))
        .filter(|s| s.len() >= 3 && s.is_ascii());
    if let Some(stem) = stem {
        stems.push(stem.to_string());
        stems.push(format!("{stem}e"));
        let bytes = stem.as_bytes();
        if bytes.len() >= 2 && bytes[bytes.len() - 1] == bytes[bytes.len() - 2] {
            stems.push(stem[..stem.len() - 1].to_string());
        }
    }
    stems
}

/// Splits text into normalised words: snake/camel-case and punctuation boundaries, lower
/// case, singular, synonyms folded to one canonical word.
pub(crate) fn terms(text: &str) -> BTreeSet<String> {
    split_words(text)
        .into_iter()
        .map(|w| canonical(&singular(&w)).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if c.is_alphanumeric() {
            let boundary = match prev {
                Some(p) => {
                    (p.is_lowercase() && c.is_uppercase())
                        || (p.is_alphabetic() && c.is_numeric())
                        || (p.is_numeric() && c.is_alphabetic())
                }
                None => false,
            };
            if boundary && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            current.extend(c.to_lowercase());
            prev = Some(c);
        } else {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev = None;
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// A light English singular: `categories` → `category`, `boxes` → `box`, `orders` → `order`;
/// `status`, `address`, `analysis` are left alone.
fn singular(word: &str) -> String {
    let len = word.chars().count();
    if len <= 3 || !word.is_ascii() {
        return word.to_string();
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "ches", "shes", "xes", "zes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_string();
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_string();
    }
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// Synonym groups; every word maps to its group's first word.
const SYNONYMS: &[&[&str]] = &[
    &["customer", "client", "buyer", "shopper", "patron"],
    &["employee", "staff", "worker", "personnel", "colleague"],
    &["product", "item", "merchandise", "article"],
    &["order", "purchase"],
    &["category", "genre"],
    &["price", "cost"],
    &["country", "nation", "nationality"],
    &["city", "town"],
    &["salary", "wage", "pay", "earning"],
    &["department", "dept", "division"],
    &["quantity", "qty"],
    &["supplier", "vendor"],
    &["student", "pupil"],
    &["teacher", "instructor", "professor"],
    &["song", "track"],
    &["movie", "film"],
    &["age", "old"],
    &["address", "live", "reside", "residence"],
    &[
        "degree",
        "bachelor",
        "master",
        "doctorate",
        "phd",
        "diploma",
    ],
    &[
        "continent",
        "europe",
        "european",
        "asia",
        "asian",
        "africa",
        "african",
        "oceania",
    ],
];

fn canonical(word: &str) -> &str {
    SYNONYMS
        .iter()
        .find(|group| group.contains(&word))
        .map_or(word, |group| group[0])
}

/// Words that never identify a table.
const STOPWORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "at",
    "for",
    "to",
    "from",
    "by",
    "with",
    "and",
    "or",
    "not",
    "is",
    "are",
    "was",
    "wa",
    "were",
    "be",
    "been",
    "do",
    "does",
    "doe",
    "did",
    "have",
    "has",
    "ha",
    "had",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "how",
    "many",
    "much",
    "when",
    "where",
    "why",
    "show",
    "list",
    "give",
    "tell",
    "me",
    "find",
    "get",
    "return",
    "display",
    "all",
    "each",
    "every",
    "per",
    "any",
    "some",
    "there",
    "that",
    "this",
    "these",
    "those",
    "it",
    "its",
    "their",
    "they",
    "them",
    "than",
    "more",
    "most",
    "least",
    "number",
    "count",
    "total",
    "average",
    "avg",
    "sum",
    "max",
    "min",
    "maximum",
    "minimum",
    "top",
    "i",
    "we",
    "you",
    "my",
    "our",
    "your",
    "please",
    "also",
    "only",
    "between",
    "over",
    "under",
    "about",
    "into",
    "after",
    "before",
    "same",
    "different",
    "distinct",
    "as",
    "if",
    "but",
];

#[cfg(test)]
mod tests;
