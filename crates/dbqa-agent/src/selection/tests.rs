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
fn normalisation() {
    let cases = [
        ("OrderItems", "order product"),
        ("order_items", "order product"),
        ("Categories", "category"),
        ("boxes", "box"),
        ("status", "status"),
        ("address", "address"),
        ("clients", "customer"),
        ("Staff2024", "2024 employee"),
    ];
    for (input, expect) in cases {
        let got: Vec<String> = terms(input).into_iter().collect();
        assert_eq!(got.join(" "), expect, "{input}");
    }
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

#[test]
fn compound_names_match_words_written_apart_or_inside() {
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
    let schema = Schema {
        dialect: dbqa_core::Dialect::Sqlite,
        tables: [
            "Highschooler",
            "countrylanguage",
            "Addresses",
            "Degree_Programs",
            "continents",
            "Friend",
            "Likes",
            "city",
        ]
        .into_iter()
        .map(table)
        .collect(),
    };
    let chosen = |question: &str| {
        select_tables(&schema, question, 2)
            .names()
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
    };
    assert!(chosen("How many high schoolers are there?").contains(&"Highschooler".to_string()));
    assert!(
        chosen("Which languages are spoken the most?").contains(&"countrylanguage".to_string())
    );
    assert!(chosen("Who lives in North Carolina?").contains(&"Addresses".to_string()));
    assert!(chosen("Which semester had Master students?").contains(&"Degree_Programs".to_string()));
    assert!(chosen("Which European countries make cars?").contains(&"continents".to_string()));
}
