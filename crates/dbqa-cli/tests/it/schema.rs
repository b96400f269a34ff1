//! `dbqa schema` through the real binary.

use serde_json::Value;

use crate::dbqa;

#[test]
fn schema_json_describes_the_demo_database_created_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    let output = dbqa(dir.path())
        .args(["schema", "--json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("dbqa/demo-shop.db").exists());
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = schema["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for table in [
        "customers",
        "orders",
        "order_items",
        "products",
        "categories",
        "employees",
    ] {
        assert!(names.contains(&table), "{table} missing from {names:?}");
    }
    let order_items = schema["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "order_items")
        .unwrap();
    assert_eq!(
        order_items["primary_key"]["columns"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn the_demo_glossary_is_written_beside_the_demo_database_and_steers_the_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let tables = |extra_env: Option<(&str, &std::path::Path)>| {
        let mut cmd = dbqa(dir.path());
        if let Some((name, value)) = extra_env {
            cmd.env(name, value);
        }
        let output = cmd
            .args(["tables", "Which customers spent the most?"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let first = tables(None);
    assert!(
        first.contains("glossary: spent: order_totals.total"),
        "{first}"
    );
    let glossary = dir.path().join("dbqa/demo-shop.glossary");
    assert!(glossary.exists());

    // An edited glossary is kept, not written over.
    std::fs::write(&glossary, "spent = customers : our own words\n").unwrap();
    let edited = tables(None);
    assert!(
        edited.contains("glossary: spent: customers — our own words"),
        "{edited}"
    );
    assert!(!edited.contains("order_totals.total"), "{edited}");

    // SCHEMA_GLOSSARY names another file: that one is used.
    let own = dir.path().join("own.glossary");
    std::fs::write(&own, "spent = orders : from SCHEMA_GLOSSARY\n").unwrap();
    let chosen = tables(Some(("SCHEMA_GLOSSARY", &own)));
    assert!(
        chosen.contains("glossary: spent: orders — from SCHEMA_GLOSSARY"),
        "{chosen}"
    );
}

#[test]
fn schema_text_for_chosen_tables() {
    let dir = tempfile::tempdir().unwrap();
    let output = dbqa(dir.path())
        .args(["schema", "orders"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("table orders"), "{text}");
    assert!(
        text.contains("foreign key (customer_id) -> customers(id)"),
        "{text}"
    );
    assert!(!text.contains("table customers"), "{text}");
}

#[test]
fn unknown_table_is_an_error_listing_the_tables() {
    let dir = tempfile::tempdir().unwrap();
    let output = dbqa(dir.path()).args(["schema", "nope"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("no table `nope`") && err.contains("customers"),
        "{err}"
    );
}

#[test]
fn unreachable_database_exits_three_with_the_password_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let output = dbqa(dir.path())
        .args(["schema", "--db", "postgres://app:hunter2@127.0.0.1:1/shop"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("postgres://app:***@127.0.0.1:1/shop"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn database_url_from_dotenv_is_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=sqlite://missing.db\n",
    )
    .unwrap();
    let output = dbqa(dir.path()).args(["schema"]).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("missing.db"), "{err}");
}

#[test]
fn invalid_setting_names_the_variable_and_exits_two() {
    let dir = tempfile::tempdir().unwrap();
    let output = dbqa(dir.path())
        .env("DB_POOL_SIZE", "lots")
        .args(["schema"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("DB_POOL_SIZE") && err.contains("`lots`"),
        "{err}"
    );
}
