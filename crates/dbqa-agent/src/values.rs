//! Value hints: the distinct values of text columns, read once per schema load (each
//! query through the guard, bounded in columns, values and length), and the ones a
//! question mentions, found exactly, without case, by stem, through a pertainym
//! ("French" → `France`) or by a close spelling. Only the matches reach the prompt, as
//! `table.column = 'Value'` hints; short value lists also serve as the columns' samples.
//!
//! Never indexed: tables the guard hides (the index is built from the visible schema),
//! columns whose names say they hold secrets or free text, and anything in privacy mode.

use std::collections::HashMap;
use std::time::Duration;

use dbqa_core::{Database, ExecuteOptions, Schema, Table, TableKind, Value};
use dbqa_guard::Guard;
use serde::Serialize;

use crate::lexicon::{lexicon, split_words};
use crate::render::SampleValues;
use crate::selection::STOPWORDS;

/// Distinct values indexed per column at most; a column with more is left out.
const MAX_DISTINCT: usize = 1000;
/// Text columns indexed at most, over the whole schema.
const MAX_COLUMNS: usize = 300;
/// Longest value indexed, in characters.
const MAX_VALUE_CHARS: usize = 60;
/// Values shown as a column's samples at most (a category list, not an index).
const MAX_SAMPLES: usize = 8;
/// Hints given to the model at most.
const MAX_HINTS: usize = 8;
/// Words of a question read as one value at most (`New York City`).
const MAX_NGRAM: usize = 4;
/// How close a misspelling must be (Jaro–Winkler) to count; it may differ in length by
/// one letter at most.
const FUZZY: f64 = 0.93;
/// Shortest single word matched to a value: shorter ones (`no`, `id`, `us`) match codes
/// by accident.
const MIN_WORD: usize = 3;

/// Column names that hold secrets or free text: never read into the index.
const NOT_INDEXED: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "hash",
    "salt",
    "key",
    "email",
    "mail",
    "phone",
    "address",
    "url",
    "uuid",
    "description",
    "comment",
    "note",
    "body",
    "text",
    "content",
];

/// Renames a table (for [`ValueIndex::merged`]).
pub type TableRename = dyn Fn(&str) -> String;

/// How a hint was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HintKind {
    /// The words of the question, as written or in another case.
    Exact,
    /// A word with the same stem (`dogs` ~ `Dog`).
    Stem,
    /// An adjective for the value (`French` ~ `France`).
    Pertainym,
    /// A close spelling (`Pariss` ~ `Paris`).
    Fuzzy,
}

/// A value of the database the question mentions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueHint {
    /// The table, as the schema spells it.
    pub table: String,
    /// The column.
    pub column: String,
    /// The value as stored.
    pub value: String,
    /// How it was found.
    pub kind: HintKind,
    /// The words of the question it stands for.
    pub words: String,
}

impl ValueHint {
    /// The hint as the prompt shows it: `singer.country = 'France'`.
    pub fn render(&self) -> String {
        format!(
            "{}.{} = '{}'",
            self.table,
            self.column,
            self.value.replace('\'', "''")
        )
    }
}

/// One indexed column.
#[derive(Debug, Clone)]
struct Column {
    table: String,
    column: String,
    values: Vec<String>,
}

/// The distinct values of a schema's text columns, with lookups by normalised form.
#[derive(Debug, Clone, Default)]
pub struct ValueIndex {
    columns: Vec<Column>,
    /// Lower-case words of a value joined by spaces → (column, value index).
    by_words: HashMap<String, Vec<(usize, usize)>>,
    /// The stem of a one-word value → (column, value index).
    by_stem: HashMap<String, Vec<(usize, usize)>>,
    /// The first two letters of a one-word value → those values (keys of `by_words`):
    /// the candidates for a close spelling, without scanning every value.
    by_prefix: HashMap<String, Vec<String>>,
}

/// The letters a close spelling must share with the value it stands for.
fn fuzzy_prefix(word: &str) -> String {
    word.chars().take(2).collect()
}

/// Whether a declared type is text (or unknown, as SQLite allows).
fn is_text(data_type: &str) -> bool {
    let t = data_type.to_ascii_lowercase();
    t.is_empty()
        || ["char", "text", "string", "enum", "clob"]
            .iter()
            .any(|k| t.contains(k))
}

fn indexable(name: &str) -> bool {
    let words = split_words(name);
    !words.iter().any(|w| NOT_INDEXED.contains(&w.as_str()))
}

fn normalise(text: &str) -> String {
    split_words(text).join(" ")
}

impl ValueIndex {
    /// Reads the values of every indexable text column of `schema` (the visible one),
    /// each query checked by `guard`. Failures leave a column out: hints help, they are
    /// never required.
    pub async fn load(db: &dyn Database, guard: &Guard, schema: &Schema) -> Self {
        let mut columns = Vec::new();
        // Collected first: no iterator of closures is held across the awaits below.
        let mut candidates: Vec<(&Table, &str)> = Vec::new();
        for table in schema.tables.iter().filter(|t| t.kind == TableKind::Table) {
            for column in &table.columns {
                if is_text(&column.data_type) && indexable(&column.name) {
                    candidates.push((table, &column.name));
                }
            }
        }
        candidates.truncate(MAX_COLUMNS);
        for (table, column) in candidates {
            if let Some(values) = distinct_values(db, guard, table, column).await {
                columns.push(Column {
                    table: table.name.clone(),
                    column: column.to_string(),
                    values,
                });
            }
        }
        Self::from_columns(columns)
    }

    fn from_columns(columns: Vec<Column>) -> Self {
        let lexicon = lexicon();
        let mut index = Self {
            columns,
            ..Self::default()
        };
        for (c, column) in index.columns.iter().enumerate() {
            for (v, value) in column.values.iter().enumerate() {
                let words = normalise(value);
                if words.is_empty() {
                    continue;
                }
                if !words.contains(' ') {
                    index
                        .by_stem
                        .entry(lexicon.stem(&words))
                        .or_default()
                        .push((c, v));
                    if !index.by_words.contains_key(&words) {
                        index
                            .by_prefix
                            .entry(fuzzy_prefix(&words))
                            .or_default()
                            .push(words.clone());
                    }
                }
                index.by_words.entry(words).or_default().push((c, v));
            }
        }
        index
    }

    /// One index over several, each table renamed by `rename` (for a schema assembled
    /// from several databases).
    pub fn merged(parts: Vec<(ValueIndex, &TableRename)>) -> Self {
        let mut columns = Vec::new();
        for (index, rename) in parts {
            columns.extend(index.columns.into_iter().map(|mut c| {
                c.table = rename(&c.table);
                c
            }));
        }
        Self::from_columns(columns)
    }

    /// Columns with few values, as the prompt's sample lists (`status ['a', 'b']`).
    pub fn samples(&self) -> SampleValues {
        let mut samples = SampleValues::new();
        for column in self
            .columns
            .iter()
            .filter(|c| c.values.len() <= MAX_SAMPLES)
        {
            samples
                .entry(column.table.to_lowercase())
                .or_default()
                .insert(column.column.to_lowercase(), column.values.clone());
        }
        samples
    }

    /// The values `question` mentions, best first, at most eight.
    pub fn hints(&self, question: &str) -> Vec<ValueHint> {
        let words = split_words(question);
        let mut found: Vec<(HintKind, usize, ValueHint)> = Vec::new();
        let add = |kind: HintKind, span: &str, hits: &[(usize, usize)], found: &mut Vec<_>| {
            for &(c, v) in hits {
                let (Some(column), n) = (self.columns.get(c), span.split(' ').count()) else {
                    continue;
                };
                let Some(value) = column.values.get(v) else {
                    continue;
                };
                let hint = ValueHint {
                    table: column.table.clone(),
                    column: column.column.clone(),
                    value: value.clone(),
                    kind,
                    words: span.to_string(),
                };
                if !found
                    .iter()
                    .any(|(_, _, h): &(HintKind, usize, ValueHint)| {
                        h.table == hint.table && h.column == hint.column && h.value == hint.value
                    })
                {
                    found.push((kind, n, hint));
                }
            }
        };
        for n in (1..=MAX_NGRAM).rev() {
            for span in words.windows(n) {
                if n == 1 && !(worth_matching(&span[0]) && span[0].chars().count() >= MIN_WORD) {
                    continue;
                }
                let joined = span.join(" ");
                if let Some(hits) = self.by_words.get(&joined) {
                    add(HintKind::Exact, &joined, hits, &mut found);
                }
            }
        }
        let lexicon = lexicon();
        for word in words
            .iter()
            .filter(|w| worth_matching(w) && w.chars().count() >= MIN_WORD)
        {
            if let Some(hits) = self.by_stem.get(&lexicon.stem(word)) {
                add(HintKind::Stem, word, hits, &mut found);
            }
            for noun in lexicon.pertainyms(word) {
                if let Some(hits) = self.by_words.get(&normalise(noun)) {
                    add(HintKind::Pertainym, word, hits, &mut found);
                }
            }
        }
        if found.is_empty() {
            for word in words
                .iter()
                .filter(|w| w.chars().count() >= 5 && worth_matching(w))
            {
                let close: Vec<(usize, usize)> = self
                    .by_prefix
                    .get(&fuzzy_prefix(word))
                    .into_iter()
                    .flatten()
                    .filter(|value| {
                        value.chars().count().abs_diff(word.chars().count()) <= 1
                            && strsim::jaro_winkler(value, word) >= FUZZY
                    })
                    .filter_map(|value| self.by_words.get(value))
                    .flat_map(|hits| hits.iter().copied())
                    .collect();
                add(HintKind::Fuzzy, word, &close, &mut found);
            }
        }
        // Exact before stem before pertainym before fuzzy; longer spans first.
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        found
            .into_iter()
            .take(MAX_HINTS)
            .map(|(_, _, h)| h)
            .collect()
    }
}

/// A single question word worth looking up: not a stop word, not a short number.
fn worth_matching(word: &str) -> bool {
    word.chars().count() >= 2
        && !STOPWORDS.contains(&word)
        && !(word.chars().all(|c| c.is_ascii_digit()) && word.len() < 3)
}

/// The distinct values of one column, or `None` when there are too many, any is too
/// long, or the query fails.
async fn distinct_values(
    db: &dyn Database,
    guard: &Guard,
    table: &Table,
    column: &str,
) -> Option<Vec<String>> {
    let dialect = db.dialect();
    let col = dialect.quote_identifier(column);
    let name = match &table.schema {
        Some(s) => format!(
            "{}.{}",
            dialect.quote_identifier(s),
            dialect.quote_identifier(&table.name)
        ),
        None => dialect.quote_identifier(&table.name),
    };
    let n = MAX_DISTINCT + 1;
    // Long values are left on the server: reading a huge cell only to drop it costs memory.
    let (length, top, limit) = if dialect.supports_top() {
        ("LEN", format!("TOP {n} "), String::new())
    } else {
        ("LENGTH", String::new(), format!(" LIMIT {n}"))
    };
    let sql = format!(
        "SELECT DISTINCT {top}{col} FROM {name} WHERE {col} IS NOT NULL \
         AND {length}({col}) <= {MAX_VALUE_CHARS} ORDER BY {col}{limit}"
    );
    let accepted = guard.check(&sql).ok()?;
    let options = ExecuteOptions::read_only(Duration::from_secs(2), n);
    let rows = db.execute(&accepted.sql, &options).await.ok()?;
    if rows.truncated || rows.len() > MAX_DISTINCT || rows.is_empty() {
        return None;
    }
    rows.rows
        .iter()
        .map(|row| match row.first() {
            Some(Value::Text(s)) if s.chars().count() <= MAX_VALUE_CHARS => Some(s.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> ValueIndex {
        let column = |table: &str, column: &str, values: &[&str]| Column {
            table: table.into(),
            column: column.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        };
        ValueIndex::from_columns(vec![
            column(
                "singer",
                "country",
                &["France", "Netherlands", "United States"],
            ),
            column("pets", "pet_type", &["cat", "dog"]),
            column("city", "name", &["Paris", "New York City", "Lyon"]),
            column("orders", "status", &["shipped", "pending"]),
        ])
    }

    fn hints(question: &str) -> Vec<String> {
        index()
            .hints(question)
            .iter()
            .map(ValueHint::render)
            .collect()
    }

    #[test]
    fn values_are_found_by_words_case_stem_pertainym_and_spelling() {
        assert_eq!(
            hints("How many French singers are there?"),
            ["singer.country = 'France'"]
        );
        assert_eq!(
            hints("singers from the netherlands"),
            ["singer.country = 'Netherlands'"]
        );
        assert_eq!(hints("How many dogs are there?"), ["pets.pet_type = 'dog'"]);
        assert_eq!(
            hints("Orders to new york city"),
            ["city.name = 'New York City'"]
        );
        assert_eq!(hints("What about Pariss?"), ["city.name = 'Paris'"]);
        assert_eq!(
            hints("Which orders are pending?"),
            ["orders.status = 'pending'"]
        );
    }

    #[test]
    fn unrelated_words_give_no_hint() {
        assert!(hints("How many singers are there?").is_empty());
        assert!(hints("List the ages of everyone").is_empty());
        // Short words and near spellings of another length are no values.
        assert!(
            index()
                .hints("no cats at all?")
                .iter()
                .all(|h| h.value != "no")
        );
        assert!(hints("Which friends?").is_empty());
    }

    #[test]
    fn secrets_and_free_text_are_never_indexed() {
        assert!(!indexable("password_hash"));
        assert!(!indexable("Email"));
        assert!(indexable("country"));
        assert!(indexable("pet_type"));
    }

    #[test]
    fn quotes_in_values_are_escaped_in_the_hint() {
        let hint = ValueHint {
            table: "t".into(),
            column: "c".into(),
            value: "O'Hara".into(),
            kind: HintKind::Exact,
            words: "o hara".into(),
        };
        assert_eq!(hint.render(), "t.c = 'O''Hara'");
    }
}
