//! Whether a question's meaning depends on today's date ("orders last month", "customers
//! who signed up this year", "shipped in the past 30 days"), so that the prompt states
//! the date only then. Stating it always made a small model's SQL vary from day to day
//! on questions that never mention time, and spent tokens on every prompt.
//!
//! Only general English is matched: words that point at now, and `this`, `last`, `next`,
//! `past` or `previous` (a number may sit between) before a unit of time.

/// Words that on their own refer to the present.
const NOW_WORDS: &[&str] = &[
    "today",
    "todays",
    "tonight",
    "yesterday",
    "tomorrow",
    "now",
    "current",
    "currently",
    "recent",
    "recently",
    "ago",
    "upcoming",
    "overdue",
    "ytd",
    "mtd",
];

/// Words that, before a unit of time, count from the present.
const RELATIVE_MARKERS: &[&str] = &["this", "last", "next", "past", "previous", "coming"];

/// Units of time.
const UNITS: &[&str] = &[
    "day", "days", "week", "weeks", "weekend", "month", "months", "quarter", "quarters", "year",
    "years", "decade", "hour", "hours",
];

/// Whether `text` asks about a time counted from today.
pub(crate) fn mentions_relative_time(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let is = |word: &str, list: &[&str]| list.contains(&word);
    words.iter().enumerate().any(|(i, word)| {
        if is(word, NOW_WORDS) {
            return true;
        }
        if !is(word, RELATIVE_MARKERS) {
            return false;
        }
        let mut next = words[i + 1..].iter();
        match next.next() {
            Some(unit) if is(unit, UNITS) => true,
            Some(number) if number.chars().all(|c| c.is_ascii_digit()) => {
                next.next().is_some_and(|unit| is(unit, UNITS))
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_counted_from_today_are_recognised() {
        for question in [
            "Which customers spent the most last year?",
            "How many orders this month?",
            "Revenue over the past 12 months",
            "What did we sell yesterday?",
            "Which invoices are overdue?",
            "Who are the current members?",
            "Orders placed 3 days ago",
            "Sales in the previous quarter, by region",
            "Bookings for next week",
            "Total so far this year (YTD)",
        ] {
            assert!(mentions_relative_time(question), "{question}");
        }
    }

    #[test]
    fn other_questions_are_not() {
        for question in [
            "What is the last name of the oldest employee?",
            "How many orders were placed in 2024?",
            "List the songs released after 1990.",
            "Which flights have the last stop in Denver?",
            "What is the next-to-last entry?",
            "Show the years in which more than two films came out.",
            "How many students are older than 20 years?",
        ] {
            assert!(!mentions_relative_time(question), "{question}");
        }
    }
}
