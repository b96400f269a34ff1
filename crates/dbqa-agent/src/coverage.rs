//! Whether the SQL uses the numbers the question states ("revenue in each month of
//! 2024", "orders over 500"). A query that ran but left out a number the question gave
//! is the commonest silent wrong answer of a small model: a filter it forgot. The tool
//! loop asks the model once to reconsider such a query, and keeps the first result if the
//! model stands by it or its new query fails.
//!
//! Numbers are compared as numbers written in digits (`1,000` is `1000`, `2.50` is
//! `2.5`): inside string literals too (`'2024-01-01'` uses 2024), but not as part of a
//! longer number (`LIMIT 10001` does not use 10), nor in words (`2nd`, `Q3`).

/// The numbers `question` writes in digits that `sql` does not, in the question's order.
pub(crate) fn missed_numbers(question: &str, sql: &str) -> Vec<String> {
    let used = numbers_in(sql);
    let mut missed: Vec<String> = Vec::new();
    for number in numbers_in(&without_thousands_separators(question)) {
        if !used.iter().any(|u| same_number(u, &number)) && !missed.contains(&number) {
            missed.push(number);
        }
    }
    missed
}

/// `1,000,000` as `1000000`; a comma not between digit groups stays.
fn without_thousands_separators(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_groups = c == ','
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.len() > i + 3
            && chars[i + 1..i + 4].iter().all(char::is_ascii_digit)
            && !chars.get(i + 4).is_some_and(char::is_ascii_digit);
        if !between_groups {
            out.push(c);
        }
    }
    out
}

/// The numbers written in digits in `text`: runs of digits with at most one decimal
/// point, not touching a letter or an underscore.
fn numbers_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let wordy = |c: Option<&char>| c.is_some_and(|c| c.is_alphabetic() || *c == '_');
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            i += 1;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        }
        let touches_word = (start > 0 && wordy(chars.get(start - 1))) || wordy(chars.get(i));
        if !touches_word {
            numbers.push(chars[start..i].iter().collect());
        }
    }
    numbers
}

/// `2.50` and `2.5` are one number; `007` and `7` are not (codes keep their zeros).
fn same_number(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let decimal = |s: &str| s.contains('.');
    match (decimal(a) || decimal(b), a.parse::<f64>(), b.parse::<f64>()) {
        (true, Ok(x), Ok(y)) => (x - y).abs() < 1e-9,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_the_query_leaves_out_are_found() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "What was the revenue in each month of 2024?",
                "SELECT strftime('%Y-%m', d) AS month, SUM(v) FROM t GROUP BY month LIMIT 10001",
                &["2024"],
            ),
            (
                "Which products cost more than 1,000 and less than 20?",
                "SELECT name FROM products WHERE price > 100",
                &["1000", "20"],
            ),
            (
                "Show the 10 most recent orders",
                "SELECT * FROM orders ORDER BY d DESC LIMIT 10001",
                &["10"],
            ),
        ];
        for (question, sql, missed) in cases {
            assert_eq!(missed_numbers(question, sql), *missed, "{question}");
        }
    }

    #[test]
    fn numbers_the_query_uses_are_not() {
        let cases: &[(&str, &str)] = &[
            (
                "How many orders were placed in 2024?",
                "SELECT COUNT(*) FROM orders WHERE order_date >= '2024-01-01' AND order_date < '2025-01-01'",
            ),
            (
                "Top 5 customers",
                "SELECT name FROM customers ORDER BY spent DESC LIMIT 5",
            ),
            (
                "Orders over 2.50",
                "SELECT id FROM orders WHERE total > 2.5",
            ),
            (
                "Orders over 1,000",
                "SELECT id FROM orders WHERE total > 1000",
            ),
            (
                "What did we sell in the last 30 days?",
                "SELECT SUM(q) FROM items WHERE d >= date('now', '-30 days')",
            ),
            // Numbers in words, ordinals and codes are not numbers the question states.
            (
                "Who came 2nd in Q3?",
                "SELECT name FROM results WHERE place = 'second'",
            ),
            ("How many singers are there?", "SELECT COUNT(*) FROM singer"),
        ];
        for (question, sql) in cases {
            assert!(missed_numbers(question, sql).is_empty(), "{question}");
        }
    }
}
