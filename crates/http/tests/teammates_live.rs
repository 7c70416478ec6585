//! Deactivating a teammate closes the WebSockets they opened before.
mod common;
mod live_support;

use common::TestApp;
use live_support::{connect, refused, serve};
use rapport_core::admin::AdminRole;
use serde_json::json;

#[tokio::test]
async fn deactivation_closes_the_teammates_open_sockets() {
    for app in TestApp::all().await {
        let address = serve(app.router.clone()).await;
        let (agent, agent_token) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let (mut theirs, _) = connect(&address, &format!("/ws?token={agent_token}")).await;
        let (mut mine, _) = connect(&address, &format!("/ws?token={}", app.token)).await;

        let r = app.post(&format!("/api/admins/{}/deactivate", agent.id), json!({})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(theirs.close_code().await, Some(4401));
        assert_eq!(refused(&address, &format!("/ws?token={agent_token}")).await, 401);

        // Other teammates' sockets stay open.
        let pong = mine.ask(json!({"type": "ping"})).await;
        assert_eq!(pong["type"], "pong", "{pong}");
    }
}
