//! The test harness: the real router, in process, over a fresh SQLite or PostgreSQL database.
//! `TestApp::all()` gives one app per backend; each has a workspace, an owner and an API token.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use rapport_core::admin::AdminRole;
use rapport_http::{AppState, HttpConfig};
use rapport_store::admins::{Admin, NewAdmin};
use rapport_store::workspaces::Workspace;
use rapport_store::{testing, Db};
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub db: Db,
    pub router: axum::Router,
    pub workspace: Workspace,
    pub owner: Admin,
    pub token: String,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Response {
    /// The first error code of an `error.list` body.
    pub fn error_code(&self) -> &str {
        assert_eq!(self.body["type"], "error.list", "not an error body: {}", self.text);
        self.body["errors"][0]["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn all() -> Vec<TestApp> {
        let mut apps = Vec::new();
        for db in testing::all().await {
            apps.push(TestApp::on(db).await);
        }
        apps
    }

    pub async fn on(db: Db) -> TestApp {
        let (workspace, owner) = testing::workspace(&db).await;
        let (_, token) = rapport_store::tokens::create(&db, workspace.id, owner.id, "test").await.unwrap();
        let router = rapport_http::router(AppState::new(db.clone(), HttpConfig::default()));
        TestApp { db, router, workspace, owner, token }
    }

    pub fn backend(&self) -> rapport_store::Backend {
        self.db.backend()
    }

    /// Another workspace on the same database, with its own owner and token.
    pub async fn other_workspace(&self) -> TestApp {
        let (workspace, owner) = testing::workspace(&self.db).await;
        let (_, token) = rapport_store::tokens::create(&self.db, workspace.id, owner.id, "other").await.unwrap();
        TestApp { db: self.db.clone(), router: self.router.clone(), workspace, owner, token }
    }

    /// A teammate with `role` in this workspace and a token acting as them.
    pub async fn teammate(&self, email: &str, role: AdminRole) -> (Admin, String) {
        let admin = rapport_store::admins::create(
            &self.db,
            self.workspace.id,
            NewAdmin { email, name: "Teammate", password: Some("correct horse battery"), role, job_title: None },
        )
        .await
        .unwrap();
        let (_, token) = rapport_store::tokens::create(&self.db, self.workspace.id, admin.id, "t").await.unwrap();
        (admin, token)
    }

    pub async fn request_as(&self, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> Response {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let request = match body {
            Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())),
            None => builder.body(Body::empty()),
        }
        .unwrap();
        self.send(request).await
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::Null) };
        Response { status, headers, body, text }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request_as(Some(&self.token), Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.request_as(Some(&self.token), Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.request_as(Some(&self.token), Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.request_as(Some(&self.token), Method::DELETE, path, None).await
    }

    /// POST with a raw (possibly malformed) body.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: impl Into<Body>) -> Response {
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", content_type)
            .body(body.into())
            .unwrap();
        self.send(request).await
    }
}
