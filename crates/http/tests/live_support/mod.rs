//! A real server on a free port and a WebSocket client for the live tests.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rapport_core::identity::{sign_visitor_token, VisitorClaims};
use rapport_core::ids::ContactId;
use rapport_store::workspaces::Workspace;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame it expects before failing (a hang guard, not a measurement).
const PATIENCE: Duration = Duration::from_secs(15);

/// Serves `router` on a free port of 127.0.0.1 and returns `host:port`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    address
}

/// A visitor token for a contact, as `POST /messenger/boot` hands out.
pub fn visitor_token(workspace: &Workspace, contact_id: ContactId) -> String {
    let claims =
        VisitorClaims { app_id: workspace.app_id.clone(), contact_id, issued_at: 1_763_700_000, verified_user: false };
    sign_visitor_token(&workspace.identity_secret, &claims)
}

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Connects to `ws://address{path}` and returns the client and its `hello` frame.
pub async fn connect(address: &str, path: &str) -> (Client, Value) {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{address}{path}")).await.expect("connect");
    let mut client = Client { ws };
    let hello = client.next().await;
    assert_eq!(hello["type"], "hello", "{hello}");
    (client, hello)
}

/// The HTTP status a refused WebSocket handshake gets.
pub async fn refused(address: &str, path: &str) -> u16 {
    match tokio_tungstenite::connect_async(format!("ws://{address}{path}")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("the handshake to {path} was accepted"),
    }
}

impl Client {
    pub async fn send(&mut self, frame: Value) {
        self.ws.send(Message::Text(frame.to_string().into())).await.unwrap();
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.ws.send(message).await.unwrap();
    }

    /// The next JSON frame.
    pub async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .expect("a frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("JSON frame"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// Skips frames until the server closes the socket; returns the close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next()).await.expect("a close in time")?;
            match message {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// The next frame of this `type`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// The next `event` frame, skipping others.
    pub async fn next_event(&mut self) -> Value {
        self.next_of("event").await
    }

    /// Sends `frame` and returns the next frame that is not an event, presence, typing or unread
    /// (the answer to `frame`: ack, error or pong).
    pub async fn ask(&mut self, frame: Value) -> Value {
        self.send(frame).await;
        loop {
            let answer = self.next().await;
            if !["event", "presence", "typing", "unread"].contains(&answer["type"].as_str().unwrap_or("")) {
                return answer;
            }
        }
    }
}

/// Connects with extra request headers; `Err(status)` when the handshake is refused.
pub async fn connect_with(address: &str, path: &str, headers: &[(&str, &str)]) -> Result<Client, u16> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{address}{path}").into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(value).unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => {
            let mut client = Client { ws };
            assert_eq!(client.next().await["type"], "hello");
            Ok(client)
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("unexpected error {other}"),
    }
}
