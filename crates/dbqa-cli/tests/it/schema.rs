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
