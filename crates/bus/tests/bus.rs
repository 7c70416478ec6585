//! The bus in process and over the real NATS server at 127.0.0.1:4222 (`RAPPORT_TEST_NATS_URL`).
use std::time::Duration;

use rapport_bus::{Bus, Signal};
use tokio::sync::broadcast::error::TryRecvError;
use tokio::time::timeout;

fn nats_url() -> String {
    std::env::var("RAPPORT_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_string())
}

/// A workspace id no other test run uses, so parallel runs on one NATS do not hear each other.
fn fresh_workspace() -> i64 {
    rand::random::<u32>() as i64 + 1_000_000
}

async fn next_for(rx: &mut tokio::sync::broadcast::Receiver<Signal>, workspace_id: i64) -> Signal {
    loop {
        let signal = timeout(Duration::from_secs(10), rx.recv()).await.expect("a signal within 10 s").unwrap();
        if signal.workspace_id() == workspace_id {
            return signal;
        }
    }
}

#[tokio::test]
async fn in_process_bus_delivers_locally() {
    let bus = Bus::connect("").await.unwrap();
    assert!(!bus.is_shared());
    let mut rx = bus.subscribe();
    bus.publish(Signal::Advanced { workspace_id: 1, seq: 7 }).await;
    assert_eq!(rx.recv().await.unwrap(), Signal::Advanced { workspace_id: 1, seq: 7 });
    assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let error = Bus::connect("redis://localhost").await.unwrap_err();
    assert!(error.to_string().contains("unsupported bus URL"), "{error}");
}

#[tokio::test]
async fn two_nats_nodes_hear_each_other_once() {
    let a = Bus::connect(&nats_url()).await.expect("NATS at 127.0.0.1:4222 is needed for this test");
    let b = Bus::connect(&nats_url()).await.unwrap();
    assert!(a.is_shared() && a.node_id() != b.node_id());
    let workspace_id = fresh_workspace();
    let (mut a_rx, mut b_rx) = (a.subscribe(), b.subscribe());

    let advanced = Signal::Advanced { workspace_id, seq: 3 };
    a.publish(advanced.clone()).await;
    a.flush().await;
    assert_eq!(next_for(&mut b_rx, workspace_id).await, advanced);
    assert_eq!(next_for(&mut a_rx, workspace_id).await, advanced, "the sender hears its own signal locally");

    let typing = Signal::Typing {
        workspace_id,
        conversation_id: 9,
        author: serde_json::json!({"type": "admin", "id": 2, "name": "Ada"}),
        contact_ids: vec![4],
        note: true,
    };
    b.publish(typing.clone()).await;
    b.flush().await;
    assert_eq!(next_for(&mut a_rx, workspace_id).await, typing);
    assert_eq!(next_for(&mut b_rx, workspace_id).await, typing);

    // A marker after everything: if A had heard its own echo of `advanced`, it would come first.
    let presence = Signal::Presence { workspace_id, admin_id: 2, status: "away".into(), node: "b".into() };
    b.publish(presence.clone()).await;
    b.flush().await;
    assert_eq!(next_for(&mut a_rx, workspace_id).await, presence, "no echo of A's own signal arrived before");
    a.publish(Signal::Advanced { workspace_id, seq: 4 }).await;
    a.flush().await;
    assert_eq!(next_for(&mut b_rx, workspace_id).await, presence);
    assert_eq!(next_for(&mut b_rx, workspace_id).await, Signal::Advanced { workspace_id, seq: 4 });
    assert_eq!(next_for(&mut a_rx, workspace_id).await, Signal::Advanced { workspace_id, seq: 4 });
}
