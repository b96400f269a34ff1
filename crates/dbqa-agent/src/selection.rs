//! Relevant-table selection: which tables a question needs, when the whole schema does
//! not fit the prompt's budget (`SCHEMA_TOKEN_BUDGET`, `MAX_TABLES_IN_CONTEXT`).
//!
//! Tables are ranked by how the question's words match their name, column names and
//! comments by meaning, not spelling (`lexicon.rs`): the same stem (`shipped` ~
//! `ship`), a shared synonym set (`vocalists` ~ `singer`, `automobile` ~ `car`), an
//! adjective's attribute (`old` ~ `age`), a glued name split into known words
//! (`productcategory` ~ `category`). Other signals add to a table's score as [`Boost`]s:
//! glossary terms the question uses, column values it mentions. Then the tables needed to
//! join the top ones through foreign keys are pulled in, and the count is capped. A schema
//! with no more tables than the cap goes in whole.

use std::collections::{BTreeSet, HashSet};

use dbqa_core::{Schema, Table};

use crate::lexicon::{lexicon, split_words};
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
    select_with(schema, &SchemaTerms::new(schema), question, max_tables, &[])
}

/// A table some other signal than its names says the question needs (a glossary term, a
/// column value the question mentions), with how much and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Boost {
    /// The table's name as the schema spells it.
    pub table: String,
    /// Added to the table's score.
    pub score: f32,
    /// Why (`glossary "revenue"`, `value 'France' in country`).
    pub reason: String,
}

/// [`select_tables`] over precomputed [`SchemaTerms`], with `boosts` from other signals.
pub fn select_with(
    schema: &Schema,
    terms: &SchemaTerms,
    question: &str,
    max_tables: usize,
    boosts: &[Boost],
) -> Selection {
    let max_tables = max_tables.max(1);
    let scored = rank(schema, terms, question, boosts);
    if schema.tables.len() <= max_tables {
        return whole(schema, scored);
    }
    let mut chooser = Chooser {
        schema,
        graph: Graph::new(schema),
        max_tables,
        chosen: Vec::new(),
        taken: HashSet::new(),
    };
    chooser.matches_with_bridges(&scored);
    chooser.neighbours();
    if chooser.chosen.is_empty() {
        chooser.most_connected();
    }
    Selection {
        tables: chooser.chosen,
        total_tables: schema.tables.len(),
        whole_schema: false,
    }
}

/// Every table's score and reason, highest first (ties keep schema order).
fn rank(
    schema: &Schema,
    terms: &SchemaTerms,
    question: &str,
    boosts: &[Boost],
) -> Vec<(usize, f32, String)> {
    let words = QuestionTerms::new(question);
    let mut scored: Vec<(usize, f32, String)> = schema
        .tables
        .iter()
        .enumerate()
        .map(|(i, table)| {
            let (mut score, mut reason) = terms
                .tables
                .get(i)
                .map(|t| t.score(&words))
                .unwrap_or_default();
            for boost in boosts.iter().filter(|b| b.table == table.name) {
                score += boost.score;
                if !reason.is_empty() {
                    reason.push_str("; ");
                }
                reason.push_str(&boost.reason);
            }
            (i, score, reason)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

/// A schema within the cap: every table, in rank order.
fn whole(schema: &Schema, scored: Vec<(usize, f32, String)>) -> Selection {
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
    Selection {
        tables,
        total_tables: schema.tables.len(),
        whole_schema: true,
    }
}

/// The tables chosen so far, within the cap.
struct Chooser<'a> {
    schema: &'a Schema,
    graph: Graph,
    max_tables: usize,
    chosen: Vec<ScoredTable>,
    taken: HashSet<usize>,
}

impl Chooser<'_> {
    fn full(&self) -> bool {
        self.chosen.len() >= self.max_tables
    }

    fn push(&mut self, index: usize, score: f32, reason: String) {
        if self.taken.insert(index) {
            self.chosen.push(ScoredTable {
                name: self.schema.tables[index].name.clone(),
                score,
                reason,
            });
        }
    }

    /// The matching tables, best first. One that cannot join what is chosen directly,
    /// but can through one or two other tables (customers -- orders -- order_items --
    /// products), brings them along when they fit.
    fn matches_with_bridges(&mut self, scored: &[(usize, f32, String)]) {
        for (i, score, reason) in scored.iter().filter(|s| s.1 > 0.0) {
            if self.full() {
                break;
            }
            let joins =
                self.taken.is_empty() || self.taken.iter().any(|&t| self.graph.adjacent(t, *i));
            let path = if joins {
                Vec::new()
            } else {
                self.graph.path_to(&self.taken, *i)
            };
            let fits = self.chosen.len() + 1 + path.len() <= self.max_tables;
            self.push(*i, *score, reason.clone());
            if fits && !path.is_empty() {
                let target = self.schema.tables[*i].name.clone();
                for b in path {
                    self.push(b, 0.0, format!("joins {target} to the tables above"));
                }
            }
        }
    }

    /// Room left: foreign-key neighbours of the chosen tables, best-connected first.
    fn neighbours(&mut self) {
        let mut neighbours: Vec<(usize, usize)> = (0..self.schema.tables.len())
            .filter(|n| !self.taken.contains(n))
            .map(|n| {
                let links = self
                    .taken
                    .iter()
                    .filter(|&&t| self.graph.adjacent(t, n))
                    .count();
                (n, links)
            })
            .filter(|&(_, links)| links > 0)
            .collect();
        neighbours.sort_by_key(|n| std::cmp::Reverse(n.1));
        for (n, _) in neighbours {
            if self.full() {
                break;
            }
            let via = self
                .taken
                .iter()
                .copied()
                .find(|&t| self.graph.adjacent(t, n))
                .map(|t| self.schema.tables[t].name.clone())
                .unwrap_or_default();
            self.push(n, 0.0, format!("foreign-key neighbour of {via}"));
        }
    }

    /// Nothing matched at all: the most connected tables of the schema.
    fn most_connected(&mut self) {
        let mut by_degree: Vec<usize> = (0..self.schema.tables.len()).collect();
        by_degree.sort_by_key(|&t| std::cmp::Reverse(self.graph.degree(t)));
        for t in by_degree.into_iter().take(self.max_tables) {
            self.push(
                t,
                0.0,
                String::from("no name matched: most connected table"),
            );
        }
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

/// One word of a name, as matching sees it.
#[derive(Debug, Clone)]
struct Term {
    /// The word as written (lower case), for reasons.
    word: String,
    stem: String,
    /// Its synonym sets (sorted).
    sets: Vec<u32>,
    /// A part of a glued word (`category` of `productcategory`): matches count half.
    part: bool,
}

impl Term {
    fn new(word: &str, part: bool) -> Self {
        let lexicon = lexicon();
        let stem = lexicon.stem(word);
        let mut sets = lexicon.sets(&stem);
        if sets.is_empty()
            && let Some(base) = lexicon.adjective_base(word)
        {
            sets = lexicon.sets(&base);
        }
        Self {
            word: word.to_string(),
            sets,
            stem,
            part,
        }
    }

    /// The words of a name (`order_items`, `OrderItems`), with the parts of glued ones.
    fn of_name(name: &str) -> Vec<Term> {
        let mut out = Vec::new();
        for word in split_words(name) {
            if let Some((left, right)) = lexicon().split_compound(&word) {
                out.push(Term::from_stem(&word, left, true));
                out.push(Term::from_stem(&word, right, true));
            }
            out.push(Term::new(&word, false));
        }
        out
    }

    fn from_stem(word: &str, stem: String, part: bool) -> Self {
        Self {
            word: word.to_string(),
            sets: lexicon().sets(&stem),
            stem,
            part,
        }
    }

    /// How well a question term matches: 1 for the same stem, 0.6 for a shared synonym
    /// set, halved for a part of a glued word; 0 otherwise.
    fn matches(&self, question: &Term) -> f32 {
        let strength = if self.stem == question.stem {
            1.0
        } else if meet(&self.sets, &question.sets) {
            0.6
        } else {
            0.0
        };
        if self.part { strength * 0.5 } else { strength }
    }
}

/// The tables whose name the question uses: every word of the name (`order`, `items`)
/// matched by a word of the question with the same stem or a shared synonym set
/// (`vocalists` names `singer`).
pub(crate) fn tables_named<'s>(schema: &'s Schema, question: &str) -> Vec<&'s str> {
    let lexicon = lexicon();
    let meaning = |word: &str| {
        let stem = lexicon.stem(word);
        let sets = lexicon.sets(&stem);
        (stem, sets)
    };
    let asked: Vec<(String, Vec<u32>)> = split_words(question)
        .iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| meaning(w))
        .collect();
    schema
        .tables
        .iter()
        .filter(|table| {
            let words = split_words(&table.name);
            !words.is_empty()
                && words.iter().all(|word| {
                    let (stem, sets) = meaning(word);
                    asked.iter().any(|(s, q)| *s == stem || meet(&sets, q))
                })
        })
        .map(|table| table.name.as_str())
        .collect()
}

/// Whether two sorted lists share an element.
fn meet(a: &[u32], b: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    false
}

/// The question's words that carry meaning (stop words left out), and each pair of
/// neighbours read as one phrase (`car makers`) and as one glued word (`high schoolers`).
pub(crate) struct QuestionTerms {
    terms: Vec<Term>,
}

impl QuestionTerms {
    pub(crate) fn new(question: &str) -> Self {
        let words = split_words(question);
        let mut terms: Vec<Term> = words
            .iter()
            .filter(|w| !STOPWORDS.contains(&w.as_str()))
            .map(|w| Term::new(w, false))
            .collect();
        let lexicon = lexicon();
        for pair in words.windows(2) {
            if pair.iter().any(|w| STOPWORDS.contains(&w.as_str())) {
                continue;
            }
            let phrase = lexicon.stem_phrase(&pair.join(" "));
            let phrase_sets = lexicon.sets(&phrase);
            if !phrase_sets.is_empty() {
                terms.push(Term {
                    word: pair.join(" "),
                    stem: phrase,
                    sets: phrase_sets,
                    part: false,
                });
            }
            terms.push(Term::new(&pair.concat(), false));
        }
        Self { terms }
    }
}

/// The terms of every table, computed once per schema.
#[derive(Debug, Clone)]
pub struct SchemaTerms {
    tables: Vec<TableTerms>,
}

impl SchemaTerms {
    /// The terms of `schema`'s tables, in its order.
    pub fn new(schema: &Schema) -> Self {
        Self {
            tables: schema.tables.iter().map(TableTerms::new).collect(),
        }
    }
}

#[derive(Debug, Clone)]
struct TableTerms {
    name: Vec<Term>,
    columns: Vec<Term>,
    comments: Vec<Term>,
}

impl TableTerms {
    fn new(table: &Table) -> Self {
        let comment_terms = |text: &str| -> Vec<Term> {
            split_words(text)
                .iter()
                .filter(|w| !STOPWORDS.contains(&w.as_str()))
                .map(|w| Term::new(w, false))
                .collect()
        };
        let mut comments: Vec<Term> = table
            .comment
            .as_deref()
            .map(comment_terms)
            .unwrap_or_default();
        let mut columns = Vec::new();
        for column in &table.columns {
            columns.extend(Term::of_name(&column.name));
            comments.extend(
                column
                    .comment
                    .as_deref()
                    .map(comment_terms)
                    .unwrap_or_default(),
            );
        }
        Self {
            name: Term::of_name(&table.name),
            columns,
            comments,
        }
    }

    /// A name word match counts 3, a column-name match 1, a comment match 0.5, each scaled
    /// by how well it matched and each question word counted once per kind; matching
    /// every word of the name adds 2.
    fn score(&self, question: &QuestionTerms) -> (f32, String) {
        let best = |terms: &[Term], q: &Term| -> (f32, Option<String>) {
            terms
                .iter()
                .map(|t| (t.matches(q), &t.word))
                .filter(|(s, _)| *s > 0.0)
                .fold((0.0, None), |acc, (s, w)| {
                    if s > acc.0 { (s, Some(w.clone())) } else { acc }
                })
        };
        let (mut name, mut columns, mut comments) = (0.0f32, 0.0f32, 0.0f32);
        let mut name_hits: Vec<String> = Vec::new();
        let mut column_hits: Vec<String> = Vec::new();
        for q in &question.terms {
            let (s, w) = best(&self.name, q);
            name += s;
            name_hits.extend(w.filter(|w| !name_hits.contains(w)));
            let (s, w) = best(&self.columns, q);
            columns += s;
            column_hits.extend(w.filter(|w| !column_hits.contains(w)));
            comments += best(&self.comments, q).0;
        }
        let whole_words = self.name.iter().filter(|t| !t.part).count();
        let mut score = 3.0 * name + columns + 0.5 * comments;
        if whole_words > 0 && name_hits.len() >= whole_words {
            score += 2.0;
        }
        let mut parts = Vec::new();
        if !name_hits.is_empty() {
            parts.push(format!("name matches {}", quoted(&name_hits)));
        }
        if !column_hits.is_empty() {
            parts.push(format!("columns match {}", quoted(&column_hits)));
        }
        if comments > 0.0 {
            parts.push(String::from("comment matches"));
        }
        (score, parts.join("; "))
    }
}

fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Words that never identify a table.
pub(crate) const STOPWORDS: &[&str] = &[
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
