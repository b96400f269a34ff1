//! Sessions on a Redis server, shared by every process that uses the same prefix.

use async_trait::async_trait;
use dbqa_core::{Message, SessionInfo, SessionStore, StoreError};
use deadpool_redis::redis;

use crate::Result;
use crate::error::{backend_error, now_ms};
use crate::redis::{RedisClient, RedisOptions, delete_matching, escape_glob};

/// Sessions on Redis (`SESSION_BACKEND=redis`): a list of messages per session and a
/// sorted set of session ids scored by last activity, all under
/// `{prefix}session:`. Sessions do not expire.
pub struct RedisSessionStore {
    client: RedisClient,
    namespace: String,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl RedisSessionStore {
    /// A store on the server in `options`; connects lazily.
    pub fn new(options: &RedisOptions) -> Result<Self> {
        Ok(Self {
            client: RedisClient::new(options)?,
            namespace: format!("{}session:", options.key_prefix),
        })
    }

    fn messages_key(&self, session_id: &str) -> String {
        format!("{}messages:{session_id}", self.namespace)
    }

    fn index_key(&self) -> String {
        format!("{}index", self.namespace)
    }

    /// Deletes every session under this store's prefix.
    pub async fn delete_all(&self) -> Result<(), StoreError> {
        delete_matching(&self.client, format!("{}*", escape_glob(&self.namespace))).await
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn append(&self, session_id: &str, message: &Message) -> Result<(), StoreError> {
        let body = serde_json::to_string(message)
            .map_err(|e| backend_error("redis", format!("cannot encode a message: {e}")))?;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("RPUSH")
            .arg(self.messages_key(session_id))
            .arg(body)
            .ignore()
            // GT adds new members and only ever moves a score forward, whichever
            // server's clock wrote last.
            .cmd("ZADD")
            .arg(self.index_key())
            .arg("GT")
            .arg(now_ms())
            .arg(session_id)
            .ignore();
        self.client
            .run(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await
    }

    async fn load(&self, session_id: &str) -> Result<Vec<Message>, StoreError> {
        let key = self.messages_key(session_id);
        let bodies: Vec<String> = self
            .client
            .run(|mut conn| async move {
                redis::cmd("LRANGE")
                    .arg(key)
                    .arg(0)
                    .arg(-1)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        bodies.iter().map(|b| super::decode_message(b)).collect()
    }

    async fn clear(&self, session_id: &str) -> Result<(), StoreError> {
        let key = self.messages_key(session_id);
        self.client
            .run(|mut conn| async move {
                redis::cmd("DEL")
                    .arg(key)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }

    async fn delete(&self, session_id: &str) -> Result<(), StoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("DEL")
            .arg(self.messages_key(session_id))
            .ignore()
            .cmd("ZREM")
            .arg(self.index_key())
            .arg(session_id)
            .ignore();
        self.client
            .run(|mut conn| async move { pipe.query_async::<()>(&mut conn).await })
            .await
    }

    async fn list(&self) -> Result<Vec<SessionInfo>, StoreError> {
        let index = self.index_key();
        let ids: Vec<(String, f64)> = self
            .client
            .run(|mut conn| async move {
                redis::cmd("ZRANGE")
                    .arg(index)
                    .arg(0)
                    .arg(-1)
                    .arg("REV")
                    .arg("WITHSCORES")
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (id, _) in &ids {
            pipe.cmd("LLEN").arg(self.messages_key(id));
        }
        let counts: Vec<u64> = self
            .client
            .run(|mut conn| async move { pipe.query_async(&mut conn).await })
            .await?;
        let mut list: Vec<SessionInfo> = ids
            .into_iter()
            .zip(counts)
            .map(|((id, score), message_count)| SessionInfo {
                id,
                message_count,
                // Scores are whole milliseconds well inside f64's exact range.
                last_activity_ms: score as i64,
            })
            .collect();
        super::sort_sessions(&mut list);
        Ok(list)
    }
}
