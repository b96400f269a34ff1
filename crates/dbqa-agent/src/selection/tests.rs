//! Relevant-table selection on generic schemas: which tables must be chosen and which
//! must not, for each signal.

use super::*;
use crate::testutil::{shop, wide};

fn check(question: &str, max: usize, expect: &[&str]) {
    let selection = select_tables(&wide(), question, max);
    let names = selection.names();
    for want in expect {
        assert!(
            names.contains(want),
            "{question:?}: expected {want} in {names:?}\n{selection:#?}"
        );
    }
    assert!(names.len() <= max, "{question:?}: over the cap: {names:?}");
}

#[test]
fn names_columns_plurals_and_synonyms_match() {
    check("How many customers are in France?", 5, &["customers"]);
    check("How many clients do we have?", 5, &["customers"]);
    check("List all staff hired after 2020", 5, &["employees"]);
    check("Which items cost more than 100?", 5, &["products"]);
    check(
        "Which category has the most products?",
        5,
        &["categories", "products"],
    );
    check(
        "Which carrier shipped the most orders?",
        5,
        &["shipments", "orders"],
    );
    check(
        "What is the average rating of each product?",
        5,
        &["reviews", "products"],
    );
}

#[test]
fn join_bridges_are_pulled_in() {
    // customers and products only join through orders and order_items.
    check(
        "Which customers bought products in the Books category?",
        5,
        &["customers", "products", "categories"],
    );
    check(
        "Total quantity sold per product",
        3,
        &["order_items", "products"],
    );
    let selection = select_tables(&wide(), "Which products did each order contain?", 5);
    assert!(selection.contains("order_items"), "{selection:#?}");
}

#[test]
fn small_schemas_go_in_whole() {
    let selection = select_tables(&shop(), "hello", 10);
    assert!(selection.whole_schema);
    assert_eq!(selection.tables.len(), shop().tables.len());
}

#[test]
fn no_match_still_gives_connected_tables() {
    let selection = select_tables(&wide(), "zzz qqq", 3);
    assert_eq!(selection.tables.len(), 3);
    assert!(selection.contains("orders"), "{selection:#?}");
}

#[test]
fn selection_snapshot() {
    let selection = select_tables(
        &wide(),
        "Which customers from Germany ordered products in the Garden category?",
        5,
    );
    insta::assert_yaml_snapshot!(selection);
}

/// A schema of unrelated tables with one id column each, for name-matching cases.
fn named(names: &[&str]) -> Schema {
    let table = |name: &str| Table {
        schema: None,
        name: name.into(),
        kind: dbqa_core::TableKind::Table,
        columns: vec![dbqa_core::Column {
            name: "id".into(),
            data_type: "int".into(),
            nullable: false,
            default: None,
            comment: None,
        }],
        primary_key: None,
        foreign_keys: vec![],
        indexes: vec![],
        comment: None,
        definition: None,
    };
    Schema {
        dialect: dbqa_core::Dialect::Sqlite,
        tables: names.iter().map(|n| table(n)).collect(),
    }
}

/// The top table for `question` in `schema` is `want`, and none of `not` is chosen.
fn top(schema: &Schema, question: &str, want: &str, not: &[&str]) {
    let selection = select_tables(schema, question, 1);
    let names = selection.names();
    assert_eq!(names, [want], "{question:?}\n{selection:#?}");
    for other in not {
        assert!(!names.contains(other), "{question:?} chose {other}");
    }
}

#[test]
fn synonyms_from_the_lexicon_match_names() {
    let schema = named(&[
        "singer",
        "stadium",
        "car_makers",
        "customer",
        "pupil",
        "airline",
        "orchestra",
        "movie",
    ]);
    for (question, want) in [
        ("How many vocalists are there?", "singer"),
        ("List every automobile maker", "car_makers"),
        ("How many clients do we have?", "customer"),
        ("How many students are enrolled?", "pupil"),
        ("Show the films released in 1999", "movie"),
        ("Which arenas hold more than 5000 people?", "stadium"),
    ] {
        top(&schema, question, want, &[]);
    }
}

#[test]
fn stems_match_inflections_and_adjectives_their_attributes() {
    let schema = named(&["shipment", "age_group", "purchase", "height_record"]);
    top(
        &schema,
        "What was shipped yesterday?",
        "shipment",
        &["purchase"],
    );
    top(
        &schema,
        "Who purchased the most?",
        "purchase",
        &["shipment"],
    );
    top(&schema, "How old are they?", "age_group", &[]);
    top(&schema, "Who is the tallest?", "height_record", &[]);
}

#[test]
fn glued_names_match_their_words() {
    let schema = named(&[
        "productcategory",
        "warehouseworker",
        "citypopulation",
        "order_log",
    ]);
    top(
        &schema,
        "Which categories are there?",
        "productcategory",
        &[],
    );
    top(
        &schema,
        "How many warehouse workers are there?",
        "warehouseworker",
        &[],
    );
    top(
        &schema,
        "Which order was logged last?",
        "order_log",
        &["productcategory"],
    );
}

#[test]
fn unrelated_words_choose_nothing_by_name() {
    let schema = named(&["singer", "stadium", "invoice"]);
    let selection = select_tables(&schema, "How many vocalists are there?", 2);
    let scores: Vec<(String, f32)> = selection
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.score))
        .collect();
    assert!(scores[0].0 == "singer" && scores[0].1 > 0.0, "{scores:?}");
    assert!(scores.iter().skip(1).all(|(_, s)| *s == 0.0), "{scores:?}");
}

#[test]
fn boosts_from_other_signals_add_to_the_score() {
    let schema = named(&["t_a", "t_b", "t_c"]);
    let boosts = [Boost {
        table: "t_c".into(),
        score: 4.0,
        reason: "glossary \"revenue\"".into(),
    }];
    let selection = select_with(
        &schema,
        &SchemaTerms::new(&schema),
        "What is our revenue?",
        1,
        &boosts,
    );
    assert_eq!(selection.names(), ["t_c"]);
    assert!(selection.tables[0].reason.contains("glossary"));
}

#[test]
fn tables_are_named_by_every_word_of_their_name() {
    let schema = named(&["orders", "order_items", "products", "customers", "singer"]);
    let check = |question: &str, expect: &[&str]| {
        assert_eq!(tables_named(&schema, question), expect, "{question}");
    };
    check(
        "On average, how many different products are in an order?",
        &["orders", "products"],
    );
    check(
        "How many items does each order have?",
        &["orders", "order_items"],
    );
    check("How many vocalists are there?", &["singer"]);
    check("What is the average age?", &[]);
}
