//! The example-store suite: each function checks one behaviour of an [`ExampleStore`]
//! that every backend must have, on an empty store.

use std::sync::Arc;

use dbqa_core::{ExampleStore, VerifiedExample};

fn example(id: &str, question: &str, sql: &str, at: i64) -> VerifiedExample {
    VerifiedExample {
        id: id.into(),
        question: question.into(),
        sql: sql.into(),
        added_at_ms: at,
    }
}

/// Suite check: put, list oldest first, replace by id, keep scopes apart.
pub async fn put_list_and_replace(store: Arc<dyn ExampleStore>) {
    let scope = "sqlite:///shop.db";
    assert!(store.list(scope).await.unwrap().is_empty());
    let first = example(
        "a",
        "How many customers?",
        "SELECT COUNT(*) FROM customers",
        1,
    );
    let second = example("b", "Orders per month? ✓ ünï", "SELECT 1", 2);
    store.put(scope, &second).await.unwrap();
    store.put(scope, &first).await.unwrap();
    store
        .put("postgres://other/db", &example("a", "x", "SELECT 2", 3))
        .await
        .unwrap();
    assert_eq!(
        store.list(scope).await.unwrap(),
        [first.clone(), second.clone()]
    );
    let replaced = example(
        "a",
        "How many customers?",
        "SELECT COUNT(id) FROM customers",
        5,
    );
    store.put(scope, &replaced).await.unwrap();
    assert_eq!(store.list(scope).await.unwrap(), [second, replaced]);
    assert_eq!(store.list("postgres://other/db").await.unwrap().len(), 1);
}

/// Suite check: remove says whether there was something to remove.
pub async fn remove(store: Arc<dyn ExampleStore>) {
    let scope = "s";
    store
        .put(scope, &example("a", "q", "SELECT 1", 1))
        .await
        .unwrap();
    assert!(store.remove(scope, "a").await.unwrap());
    assert!(!store.remove(scope, "a").await.unwrap());
    assert!(!store.remove("elsewhere", "a").await.unwrap());
    assert!(store.list(scope).await.unwrap().is_empty());
}
