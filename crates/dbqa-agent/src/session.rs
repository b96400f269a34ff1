//! [`ChatSession`]: questions that share a history.

use dbqa_core::Message;
use futures::Stream;

use crate::{AgentEvent, DatabaseQueryAgent, QueryOptions, QueryResponse, Result};

/// A conversation with the agent: follow-up questions ("and for 2024?") see the history.
///
/// Sessions live in the agent's session store, so a session id keeps its history across
/// `ChatSession` values (and, with the SQLite or Redis store, across processes).
#[derive(Debug, Clone)]
pub struct ChatSession {
    agent: DatabaseQueryAgent,
    id: String,
}

impl ChatSession {
    pub(crate) fn new(agent: DatabaseQueryAgent, id: String) -> Self {
        Self { agent, id }
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Asks a question within the session.
    pub async fn ask(&self, question: &str) -> Result<QueryResponse> {
        self.agent
            .query_with(question, QueryOptions::in_session(&self.id))
            .await
    }

    /// Asks with explicit options (the session id is always this session's).
    pub async fn ask_with(
        &self,
        question: &str,
        mut options: QueryOptions,
    ) -> Result<QueryResponse> {
        options.session_id = Some(self.id.clone());
        self.agent.query_with(question, options).await
    }

    /// Asks a question within the session, streaming the answer.
    pub fn ask_stream(
        &self,
        question: &str,
    ) -> impl Stream<Item = Result<AgentEvent>> + Send + use<> {
        self.agent
            .query_stream_with(question, QueryOptions::in_session(&self.id))
    }

    /// The messages so far, oldest first.
    pub async fn history(&self) -> Result<Vec<Message>> {
        self.agent.session_history(&self.id).await
    }

    /// Forgets the messages so far.
    pub async fn clear(&self) -> Result<()> {
        self.agent.clear_session(&self.id).await
    }
}
