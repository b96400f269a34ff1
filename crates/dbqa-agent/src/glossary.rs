//! The user's business terms (`SCHEMA_GLOSSARY`): what a word of the business means in
//! the schema. A question that uses a term gets its table chosen and its description in
//! the prompt.
//!
//! The file has one term per line, `term = table[.column] : description`; `#` starts a
//! comment:
//!
//! ```text
//! # what our people say, and where it lives
//! revenue = order_items : quantity * unit_price * (1 - discount), cancelled orders left out
//! late = orders.shipped_date : an order is late when shipped_date > required_date
//! VIP customer = customers : a customer with more than 10 orders
//! ```
//!
//! A rule that always holds when the term is used follows its description as
//! `| where TABLE: CONDITION`, the condition on the table's columns written unqualified;
//! dbqa writes it into every select of the query that reads the table and does not
//! already constrain those columns ([`dbqa_guard::apply_filters`]), since a small model
//! reads such a rule in the prompt and still leaves it out:
//!
//! ```text
//! revenue = order_items : quantity * unit_price | where orders: status <> 'cancelled'
//! ```
//!
//! Terms match by stems, so `late` also matches "lateness" no more than a stemmer allows,
//! and a term of several words matches when the question holds all of them.

use std::path::Path;

use dbqa_guard::TableFilter;

use crate::lexicon::{lexicon, split_words};

/// One glossary entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryEntry {
    /// The term as written.
    pub term: String,
    /// The table it lives in.
    pub table: String,
    /// The column, when the entry names one.
    pub column: Option<String>,
    /// What it means, as the prompt shows it.
    pub description: String,
    /// The rules that hold whenever the term is used (`| where orders: status <> 'cancelled'`).
    pub filters: Vec<TableFilter>,
    stems: Vec<String>,
}

/// A parsed glossary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Glossary {
    entries: Vec<GlossaryEntry>,
}

/// A glossary line that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "SCHEMA_GLOSSARY line {line}: {message} (expected `term = table[.column] : description [| where table: condition]`)"
)]
pub struct GlossaryError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl Glossary {
    /// Reads a glossary file.
    pub fn load(path: &Path) -> Result<Self, GlossaryError> {
        let text = std::fs::read_to_string(path).map_err(|e| GlossaryError {
            line: 0,
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        Self::parse(&text)
    }

    /// Parses glossary text.
    ///
    /// ```
    /// let glossary = dbqa_agent::glossary::Glossary::parse(
    ///     "revenue = order_items : quantity * unit_price",
    /// )?;
    /// assert_eq!(glossary.matching("What was our revenue in May?")[0].table, "order_items");
    /// # Ok::<(), dbqa_agent::glossary::GlossaryError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, GlossaryError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let error = |message: &str| GlossaryError {
                line: i + 1,
                message: message.to_string(),
            };
            let (term, rest) = line.split_once('=').ok_or_else(|| error("no `=`"))?;
            let (target, description) = rest.split_once(':').unwrap_or((rest, ""));
            let term = term.trim();
            let target = target.trim();
            if term.is_empty() || target.is_empty() {
                return Err(error("the term and the table must not be empty"));
            }
            let (table, column) = match target.split_once('.') {
                Some((t, c)) => (t.trim().to_string(), Some(c.trim().to_string())),
                None => (target.to_string(), None),
            };
            let mut parts = description.split('|');
            let description = parts.next().unwrap_or_default().trim().to_string();
            let filters = parts
                .map(|part| parse_filter(part).map_err(|message| error(&message)))
                .collect::<Result<Vec<_>, _>>()?;
            entries.push(GlossaryEntry {
                term: term.to_string(),
                table,
                column,
                description,
                filters,
                stems: stems_of(term),
            });
        }
        Ok(Self { entries })
    }

    /// The entries whose every word the question uses (by stem).
    pub fn matching(&self, question: &str) -> Vec<&GlossaryEntry> {
        let stems = stems_of(question);
        self.entries
            .iter()
            .filter(|e| !e.stems.is_empty() && e.stems.iter().all(|s| stems.contains(s)))
            .collect()
    }

    /// The rules of the entries the question uses, each once.
    pub fn filters_for(&self, question: &str) -> Vec<TableFilter> {
        let mut out: Vec<TableFilter> = Vec::new();
        for filter in self.matching(question).into_iter().flat_map(|e| &e.filters) {
            if !out.contains(filter) {
                out.push(filter.clone());
            }
        }
        out
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One `where TABLE: CONDITION` part of a line.
fn parse_filter(part: &str) -> Result<TableFilter, String> {
    let rule = part.trim();
    let body = rule
        .strip_prefix("where ")
        .ok_or_else(|| format!("`| {rule}` should read `| where table: condition`"))?;
    let (table, condition) = body
        .split_once(':')
        .ok_or_else(|| format!("`| {rule}` has no `:` after its table"))?;
    TableFilter::new(table, condition)
}

impl GlossaryEntry {
    /// Whether the term accounts for every one of `words` (by stem): a value hint found
    /// for those words yields to the term's definition.
    pub fn defines(&self, words: &str) -> bool {
        let stems = stems_of(words);
        !stems.is_empty() && stems.iter().all(|s| self.stems.contains(s))
    }

    /// The entry as the prompt shows it: `revenue: order_items — quantity * unit_price`.
    pub fn render(&self) -> String {
        let target = match &self.column {
            Some(column) => format!("{}.{column}", self.table),
            None => self.table.clone(),
        };
        if self.description.is_empty() {
            format!("{}: {target}", self.term)
        } else {
            format!("{}: {target} — {}", self.term, self.description)
        }
    }
}

/// The stems of the words of `text`, as terms and questions are compared.
fn stems_of(text: &str) -> Vec<String> {
    let lexicon = lexicon();
    split_words(text).iter().map(|w| lexicon.stem(w)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_match_by_stems_and_all_their_words() {
        let glossary = Glossary::parse(
            "# ours\n\
             revenue = order_items : quantity * unit_price\n\
             late = orders.shipped_date : shipped after required_date\n\
             VIP customer = customers : more than 10 orders\n",
        )
        .expect("glossary");
        let terms = |q: &str| -> Vec<String> {
            glossary
                .matching(q)
                .iter()
                .map(|e| e.term.clone())
                .collect()
        };
        assert_eq!(terms("Revenue by month?"), ["revenue"]);
        assert_eq!(terms("Which orders were late?"), ["late"]);
        assert_eq!(
            terms("How many VIP customers do we have?"),
            ["VIP customer"]
        );
        assert!(terms("How many customers?").is_empty());
        assert_eq!(
            glossary.matching("late")[0].render(),
            "late: orders.shipped_date — shipped after required_date"
        );
    }

    #[test]
    fn a_term_defines_the_words_of_its_stems_only() {
        let glossary = Glossary::parse(
            "shipped = orders.shipped_date : shipped_date is set
",
        )
        .expect("ok");
        let entry = &glossary.matching("What has each carrier shipped?")[0];
        assert!(entry.defines("shipped"));
        assert!(entry.defines("Ships"));
        assert!(!entry.defines("shipped late"));
        assert!(!entry.defines("delivered"));
        assert!(!entry.defines(""));
    }

    #[test]
    fn bad_lines_name_their_number() {
        let error = Glossary::parse("revenue = t\njust words\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.to_string().contains("SCHEMA_GLOSSARY line 2"));
    }

    #[test]
    fn rules_follow_the_description_and_apply_to_questions_using_the_term() {
        let glossary = Glossary::parse(
            "revenue = order_items : after discount | where orders: status <> 'cancelled' \
             | where order_totals: status <> 'cancelled'\n\
             sales = order_items : the same | where orders: status <> 'cancelled'\n\
             late = orders.shipped_date : shipped after required_date\n",
        )
        .expect("glossary");
        let revenue = &glossary.matching("Revenue by month?")[0];
        assert_eq!(revenue.description, "after discount");
        assert_eq!(revenue.render(), "revenue: order_items — after discount");
        let tables = |q: &str| -> Vec<String> {
            glossary
                .filters_for(q)
                .iter()
                .map(|f| format!("{}: {}", f.table(), f.condition()))
                .collect()
        };
        // Two terms with the same rule give it once.
        assert_eq!(
            tables("Revenue and sales by month?"),
            [
                "orders: status <> 'cancelled'",
                "order_totals: status <> 'cancelled'"
            ]
        );
        assert!(tables("Which orders were late?").is_empty());
        assert!(tables("How many customers?").is_empty());
    }

    #[test]
    fn a_bad_rule_names_its_line_and_what_is_wrong() {
        for (text, says) in [
            (
                "revenue = t : x | orders: status = 1",
                "where table: condition",
            ),
            ("revenue = t : x | where orders status = 1", "no `:`"),
            (
                "revenue = t : x | where orders: status =",
                "not one SQL condition",
            ),
            ("revenue = t : x | where orders: 1 = 1", "names no column"),
        ] {
            let error = Glossary::parse(&format!("# rules\n{text}\n")).unwrap_err();
            assert_eq!(error.line, 2, "{text}");
            assert!(error.message.contains(says), "{text}: {error}");
        }
    }
}
