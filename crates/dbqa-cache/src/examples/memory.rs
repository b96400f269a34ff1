//! Verified examples in process memory, lost on exit.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use dbqa_core::{ExampleStore, StoreError, VerifiedExample};

use crate::error::backend_error;

/// Examples in a map behind a lock (`SESSION_BACKEND=memory`, and tests).
#[derive(Debug, Default)]
pub struct MemoryExampleStore {
    scopes: Mutex<HashMap<String, BTreeMap<String, VerifiedExample>>>,
}

impl MemoryExampleStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut HashMap<String, BTreeMap<String, VerifiedExample>>) -> T,
    ) -> Result<T, StoreError> {
        let mut guard = self
            .scopes
            .lock()
            .map_err(|_| backend_error("memory", "example map lock poisoned by a panic"))?;
        Ok(f(&mut guard))
    }
}

#[async_trait]
impl ExampleStore for MemoryExampleStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn put(&self, scope: &str, example: &VerifiedExample) -> Result<(), StoreError> {
        self.with(|scopes| {
            scopes
                .entry(scope.to_string())
                .or_default()
                .insert(example.id.clone(), example.clone());
        })
    }

    async fn list(&self, scope: &str) -> Result<Vec<VerifiedExample>, StoreError> {
        let mut list = self.with(|scopes| {
            scopes
                .get(scope)
                .map(|examples| examples.values().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        })?;
        super::sort_examples(&mut list);
        Ok(list)
    }

    async fn remove(&self, scope: &str, id: &str) -> Result<bool, StoreError> {
        self.with(|scopes| {
            scopes
                .get_mut(scope)
                .is_some_and(|examples| examples.remove(id).is_some())
        })
    }
}
