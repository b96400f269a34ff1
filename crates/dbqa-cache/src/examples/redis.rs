//! Verified examples on a Redis server: a hash per database under `{prefix}examples:`.

use async_trait::async_trait;
use dbqa_core::{ExampleStore, StoreError, VerifiedExample, stable_hash};
use deadpool_redis::redis;

use crate::Result;
use crate::error::backend_error;
use crate::redis::{RedisClient, RedisOptions, delete_matching, escape_glob};

/// Examples on Redis (`SESSION_BACKEND=redis`): for each database, one hash from
/// example id to the example as JSON, at `{prefix}examples:{hash of the scope}`.
pub struct RedisExampleStore {
    client: RedisClient,
    namespace: String,
}

impl std::fmt::Debug for RedisExampleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisExampleStore")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl RedisExampleStore {
    /// A store on the server in `options`; connects lazily.
    pub fn new(options: &RedisOptions) -> Result<Self> {
        Ok(Self {
            client: RedisClient::new(options)?,
            namespace: format!("{}examples:", options.key_prefix),
        })
    }

    fn key(&self, scope: &str) -> String {
        // Database identities are URLs: hashed, they make a short key without `*` or `:`.
        format!("{}{}", self.namespace, stable_hash(scope.as_bytes()))
    }

    /// Deletes every example under this store's prefix.
    pub async fn delete_all(&self) -> Result<(), StoreError> {
        delete_matching(&self.client, format!("{}*", escape_glob(&self.namespace))).await
    }
}

#[async_trait]
impl ExampleStore for RedisExampleStore {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn put(&self, scope: &str, example: &VerifiedExample) -> Result<(), StoreError> {
        let body = serde_json::to_string(example)
            .map_err(|e| backend_error("redis", format!("cannot encode an example: {e}")))?;
        let (key, id) = (self.key(scope), example.id.clone());
        self.client
            .run(|mut conn| async move {
                redis::cmd("HSET")
                    .arg(key)
                    .arg(id)
                    .arg(body)
                    .query_async::<()>(&mut conn)
                    .await
            })
            .await
    }

    async fn list(&self, scope: &str) -> Result<Vec<VerifiedExample>, StoreError> {
        let key = self.key(scope);
        let bodies: Vec<String> = self
            .client
            .run(
                |mut conn| async move { redis::cmd("HVALS").arg(key).query_async(&mut conn).await },
            )
            .await?;
        let mut list = bodies
            .iter()
            .map(|b| super::decode_example(b))
            .collect::<Result<Vec<_>, _>>()?;
        super::sort_examples(&mut list);
        Ok(list)
    }

    async fn remove(&self, scope: &str, id: &str) -> Result<bool, StoreError> {
        let (key, id) = (self.key(scope), id.to_string());
        let removed: u64 = self
            .client
            .run(|mut conn| async move {
                redis::cmd("HDEL")
                    .arg(key)
                    .arg(id)
                    .query_async(&mut conn)
                    .await
            })
            .await?;
        Ok(removed > 0)
    }
}
