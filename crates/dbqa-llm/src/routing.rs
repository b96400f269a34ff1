//! Adaptive model selection: a small classifier of question complexity.
//!
//! The heuristics, checked in this order on the lower-cased question:
//! 1. **Complex** when it names a comparison or a relation between things: `compare`,
//!    `versus`/`vs`, `difference between`, `more than`/`less than`/`fewer than`, `than the
//!    average`, `ratio`, `percentage`, `correlat…`, `rank`, `top N … per/by/for each`, `join`;
//!    a per-group aggregate (`per`, `for each`, `by each`, `grouped by`, `broken down by`,
//!    `each … with`); a time range (`between … and`, `last N days/weeks/months/years`,
//!    `year over year`, `month over month`, `since`, `trend`, `over time`); or when it
//!    mentions two or more of the relation words `and their`, `who have`, `that have`,
//!    `along with`, `together with`, `with their`.
//! 2. **Fast** when it is a single count or lookup: starts with `how many`, `count`,
//!    `what is the`, `list all`, `show all`, `show me all`, `list the`, `what are the`,
//!    `which`, `who is`, `find the` and has at most 12 words.
//! 3. **Balanced** otherwise.

use dbqa_core::{ModelConfig, ModelStrategy, ModelTier};

const COMPLEX_PHRASES: &[&str] = &[
    "compare",
    "comparison",
    "versus",
    " vs ",
    " vs. ",
    "difference between",
    "more than",
    "less than",
    "fewer than",
    "greater than",
    "than the average",
    "ratio",
    "percentage",
    "percent of",
    "correlat",
    "rank",
    " join",
    " per ",
    "for each",
    "by each",
    "grouped by",
    "group by",
    "broken down by",
    "breakdown",
    "year over year",
    "month over month",
    "over time",
    "trend",
    " since ",
    "cumulative",
    "running total",
];

const RELATION_PHRASES: &[&str] = &[
    "and their",
    "who have",
    "that have",
    "along with",
    "together with",
    "with their",
    " both ",
];

const FAST_PREFIXES: &[&str] = &[
    "how many",
    "count",
    "what is the",
    "what's the",
    "list all",
    "show all",
    "show me all",
    "list the",
    "what are the",
    "which",
    "who is",
    "find the",
];

const TIME_UNITS: &[&str] = &["day", "week", "month", "quarter", "year"];

/// How hard a question looks; see the module docs for the rules.
///
/// ```
/// use dbqa_core::ModelTier;
/// use dbqa_llm::classify_complexity;
/// assert_eq!(classify_complexity("How many singers are there?"), ModelTier::Fast);
/// assert_eq!(
///     classify_complexity("Compare average order value per carrier versus last year"),
///     ModelTier::Complex
/// );
/// ```
pub fn classify_complexity(question: &str) -> ModelTier {
    let text = format!(
        " {} ",
        question.to_lowercase().replace(['?', ',', '!'], " ")
    );
    let words: Vec<&str> = text.split_whitespace().collect();
    if COMPLEX_PHRASES.iter().any(|p| text.contains(p))
        || time_range(&text, &words)
        || RELATION_PHRASES
            .iter()
            .filter(|p| text.contains(*p))
            .count()
            >= 2
    {
        return ModelTier::Complex;
    }
    let trimmed = text.trim_start();
    if FAST_PREFIXES.iter().any(|p| trimmed.starts_with(p)) && words.len() <= 12 {
        return ModelTier::Fast;
    }
    ModelTier::Balanced
}

/// `between X and Y` or `last/past N <unit>s` (also `last month`).
fn time_range(text: &str, words: &[&str]) -> bool {
    if let Some(start) = text.find(" between ")
        && text[start..].contains(" and ")
    {
        return true;
    }
    words.windows(2).any(|pair| {
        matches!(pair[0], "last" | "past" | "previous")
            && TIME_UNITS.iter().any(|u| pair[1].starts_with(u))
    }) || words.windows(3).any(|w| {
        matches!(w[0], "last" | "past" | "previous")
            && w[1].chars().all(|c| c.is_ascii_digit())
            && TIME_UNITS.iter().any(|u| w[2].starts_with(u))
    })
}

/// The tier and model to use for `question`: [`ModelStrategy::Fixed`] always takes the
/// balanced model; [`ModelStrategy::Adaptive`] asks [`classify_complexity`].
pub fn choose_model(config: &ModelConfig, question: &str) -> (ModelTier, String) {
    let tier = match config.strategy {
        ModelStrategy::Fixed => ModelTier::Balanced,
        ModelStrategy::Adaptive => classify_complexity(question),
    };
    (tier, config.model_for(tier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_questions() {
        let check = |question: &str, expect: ModelTier| {
            assert_eq!(classify_complexity(question), expect, "{question}");
        };
        check("How many singers do we have?", ModelTier::Fast);
        check("What is the name of the oldest dog?", ModelTier::Fast);
        check("List all stadiums.", ModelTier::Fast);
        check("Count the orders.", ModelTier::Fast);
        check(
            "Show the names of singers and their concerts",
            ModelTier::Balanced,
        );
        check("Average age of singers per country", ModelTier::Complex);
        check(
            "Compare revenue of France versus Germany",
            ModelTier::Complex,
        );
        check("Orders between 2020 and 2021", ModelTier::Complex);
        check("Sales in the last 30 days", ModelTier::Complex);
        check("Revenue last month", ModelTier::Complex);
        check(
            "Which carriers shipped more than 10 late orders?",
            ModelTier::Complex,
        );
        check(
            "Customers who have orders and their addresses along with phone numbers",
            ModelTier::Complex,
        );
        check("hi", ModelTier::Balanced);
        check("", ModelTier::Balanced);
    }
}
