//! The session-store suite: each function checks one behaviour of a [`SessionStore`]
//! that every backend must have, on an empty store.

use std::sync::Arc;
use std::time::Duration;

use dbqa_core::{Message, SessionStore, ToolCall};

/// Suite check: append and load.
pub async fn append_and_load(store: Arc<dyn SessionStore>) {
    assert_eq!(store.load("nobody").await.unwrap(), Vec::<Message>::new());
    let history = vec![
        Message::system("you answer questions about a shop"),
        Message::user("How many orders?"),
        Message::assistant_tool_calls(
            "",
            vec![ToolCall {
                id: "call_1".into(),
                name: "run_sql".into(),
                arguments: r#"{"sql":"SELECT COUNT(*) FROM orders"}"#.into(),
            }],
        ),
        Message::tool_result("call_1", "[[42]]"),
        Message::assistant("There are 42 orders. ünïcödé ✓"),
    ];
    for message in &history {
        store.append("s1", message).await.unwrap();
    }
    store.append("s2", &Message::user("other")).await.unwrap();
    assert_eq!(store.load("s1").await.unwrap(), history);
    assert_eq!(
        store.load("s2").await.unwrap(),
        vec![Message::user("other")]
    );
}

/// Suite check: clear keeps the session listed.
pub async fn clear_keeps_the_session_listed(store: Arc<dyn SessionStore>) {
    store.append("c", &Message::user("one")).await.unwrap();
    store.append("c", &Message::user("two")).await.unwrap();
    store.clear("c").await.unwrap();
    assert_eq!(store.load("c").await.unwrap(), Vec::<Message>::new());
    let listed: Vec<_> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.message_count))
        .collect();
    assert_eq!(listed, vec![("c".to_string(), 0)]);
    store.append("c", &Message::user("three")).await.unwrap();
    assert_eq!(store.load("c").await.unwrap(), vec![Message::user("three")]);
}

/// Suite check: delete removes the session.
pub async fn delete_removes_the_session(store: Arc<dyn SessionStore>) {
    store.append("gone", &Message::user("x")).await.unwrap();
    store.append("kept", &Message::user("y")).await.unwrap();
    store.delete("gone").await.unwrap();
    store.delete("never-existed").await.unwrap();
    assert_eq!(store.load("gone").await.unwrap(), Vec::<Message>::new());
    let ids: Vec<_> = store
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, vec!["kept".to_string()]);
}

/// Suite check: list most recent first.
pub async fn list_most_recent_first(store: Arc<dyn SessionStore>) {
    for id in ["first", "second", "third"] {
        store.append(id, &Message::user(id)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store
        .append("first", &Message::assistant("again"))
        .await
        .unwrap();
    let list = store.list().await.unwrap();
    let summary: Vec<_> = list
        .iter()
        .map(|s| (s.id.as_str(), s.message_count))
        .collect();
    assert_eq!(summary, vec![("first", 2), ("third", 1), ("second", 1)]);
    assert!(
        list.windows(2)
            .all(|w| w[0].last_activity_ms >= w[1].last_activity_ms)
    );
    assert!(list.iter().all(|s| s.last_activity_ms > 1_600_000_000_000));
}

/// Suite check: concurrent appends.
pub async fn concurrent_appends(store: Arc<dyn SessionStore>) {
    const WRITERS: usize = 100;
    const EACH: usize = 100;
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..EACH {
                    store
                        .append("busy", &Message::user(format!("{w}:{i}")))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let messages = store.load("busy").await.unwrap();
    assert_eq!(messages.len(), WRITERS * EACH);
    let mut next = vec![0usize; WRITERS];
    for message in &messages {
        let (w, i) = message.content.split_once(':').unwrap();
        let (w, i): (usize, usize) = (w.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[w], "writer {w} out of order");
        next[w] += 1;
    }
    assert!(next.iter().all(|&n| n == EACH));
    assert_eq!(
        store.list().await.unwrap()[0].message_count,
        (WRITERS * EACH) as u64
    );
}
