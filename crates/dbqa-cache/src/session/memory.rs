//! Sessions in process memory, lost on exit.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use dbqa_core::{Message, SessionInfo, SessionStore, StoreError};

use crate::error::{backend_error, now_ms};

struct Session {
    messages: Vec<Message>,
    last_activity_ms: i64,
}

/// Sessions in a map behind a lock (`SESSION_BACKEND=memory`).
#[derive(Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<String, Session>>,
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySessionStore").finish_non_exhaustive()
    }
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Session>) -> T) -> Result<T, StoreError> {
        let mut guard = self
            .sessions
            .lock()
            .map_err(|_| backend_error("memory", "session map lock poisoned by a panic"))?;
        Ok(f(&mut guard))
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn append(&self, session_id: &str, message: &Message) -> Result<(), StoreError> {
        let now = now_ms();
        self.with(|sessions| {
            let session = sessions
                .entry(session_id.to_string())
                .or_insert_with(|| Session {
                    messages: Vec::new(),
                    last_activity_ms: now,
                });
            session.messages.push(message.clone());
            session.last_activity_ms = session.last_activity_ms.max(now);
        })
    }

    async fn load(&self, session_id: &str) -> Result<Vec<Message>, StoreError> {
        self.with(|sessions| {
            sessions
                .get(session_id)
                .map(|s| s.messages.clone())
                .unwrap_or_default()
        })
    }

    async fn clear(&self, session_id: &str) -> Result<(), StoreError> {
        self.with(|sessions| {
            if let Some(session) = sessions.get_mut(session_id) {
                session.messages.clear();
            }
        })
    }

    async fn delete(&self, session_id: &str) -> Result<(), StoreError> {
        self.with(|sessions| {
            sessions.remove(session_id);
        })
    }

    async fn list(&self) -> Result<Vec<SessionInfo>, StoreError> {
        let mut list = self.with(|sessions| {
            sessions
                .iter()
                .map(|(id, s)| SessionInfo {
                    id: id.clone(),
                    message_count: s.messages.len() as u64,
                    last_activity_ms: s.last_activity_ms,
                })
                .collect::<Vec<_>>()
        })?;
        super::sort_sessions(&mut list);
        Ok(list)
    }
}
