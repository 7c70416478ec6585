//! One WebSocket, agent or visitor: hello, the backlog after `since`, then live events, each
//! exactly once and in order, interleaved with the client's frames.
//!
//! Exactly once: the socket joins the workspace's feed *before* it reads the backlog, and skips
//! every row with `seq <=` the last one it handled. When it lags behind the feed, it reads the
//! missed rows from the log itself.
use rapport_core::conversation::AuthorType;
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ContactId, ConversationId, WorkspaceId};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use rapport_bus::Signal;
use rapport_store::event_log;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::frames::{self, ClientFrame, FrameError, LiveEvent};
use super::hub::{FeedGuard, Hub, Live, PAGE};

/// The close frame a deactivated teammate's sockets get (4401: an application "unauthorized").
const DEACTIVATED: CloseFrame = CloseFrame { code: 4401, reason: Utf8Bytes::from_static("deactivated") };

/// Who is on the other end of a socket.
pub(crate) enum Viewer {
    Agent {
        admin_id: AdminId,
        name: String,
        can_write: bool,
        /// `None`: every conversation of the workspace.
        subscription: Option<HashSet<ConversationId>>,
    },
    Visitor {
        contact_id: ContactId,
        role: String,
        name: Option<String>,
        /// The unread count last sent.
        unread: i64,
    },
}

/// A socket's state.
pub(crate) struct Session {
    pub(crate) hub: Arc<Hub>,
    pub(crate) workspace_id: WorkspaceId,
    pub(crate) viewer: Viewer,
    /// The seq of the last log row handled (sent or filtered out).
    last_seq: i64,
    /// Contacts of conversations seen so far (to relay typing without a query each time).
    pub(crate) participants: HashMap<ConversationId, Vec<ContactId>>,
    /// Frames waiting to be written.
    outbox: Vec<Message>,
}

impl Session {
    pub(crate) fn new(hub: Arc<Hub>, workspace_id: WorkspaceId, viewer: Viewer) -> Self {
        Session { hub, workspace_id, viewer, last_seq: 0, participants: HashMap::new(), outbox: Vec::new() }
    }

    pub(crate) fn push(&mut self, frame: Value) {
        self.outbox.push(text(&frame));
    }

    /// Runs the socket until the client leaves.
    ///
    /// An idle socket waits here for most of its life, so this future stays small: the work on a
    /// frame or an event (database reads, framing) runs in a boxed future of its own, allocated
    /// only while it runs, instead of sizing every socket's task for the largest of them.
    pub(crate) async fn run(mut self, socket: WebSocket, since: Option<i64>) {
        let (mut sink, mut stream) = socket.split();
        let mut guard = match Box::pin(self.open(since)).await {
            Ok(guard) => guard,
            Err(error) => {
                let _ = sink.send(text(&error.to_frame(None))).await;
                let _ = sink.close().await;
                return;
            }
        };
        let Some(mut receiver) = guard.receiver.take() else { return };
        loop {
            for frame in std::mem::take(&mut self.outbox) {
                if sink.send(frame).await.is_err() {
                    return Box::pin(self.close()).await;
                }
            }
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(body))) => Box::pin(self.on_text(body.as_str())).await,
                    Some(Ok(Message::Binary(_))) => {
                        self.push(FrameError::bad_frame("frames are JSON text, not binary").to_frame(None));
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                },
                live = receiver.recv() => match live {
                    Ok(Live::Event(event)) => Box::pin(self.deliver(&event)).await,
                    Ok(Live::Signal(signal)) if self.is_ended_by(&signal) => {
                        let _ = sink.send(Message::Close(Some(DEACTIVATED))).await;
                        break;
                    }
                    Ok(Live::Signal(signal)) => self.relay(&signal),
                    Err(RecvError::Lagged(_)) => Box::pin(self.read_log()).await,
                    Err(RecvError::Closed) => break,
                },
            }
        }
        drop(receiver);
        Box::pin(self.close()).await;
    }

    /// Joins the feed, then says hello and sends the backlog.
    async fn open(&mut self, since: Option<i64>) -> Result<FeedGuard, FrameError> {
        let guard = self.hub.join(self.workspace_id).await?;
        let last = event_log::last_seq(&self.hub.db, self.workspace_id).await?;
        let unread = match self.viewer {
            Viewer::Visitor { contact_id, .. } => Some(self.unread_count(contact_id).await?),
            Viewer::Agent { .. } => None,
        };
        if let (Viewer::Visitor { unread: sent, .. }, Some(count)) = (&mut self.viewer, unread) {
            *sent = count;
        }
        self.push(frames::hello(last, unread));
        if let Viewer::Agent { admin_id, .. } = self.viewer {
            self.hub.agent_connected(self.workspace_id, admin_id).await;
            for (admin, status) in self.hub.presence_snapshot(self.workspace_id) {
                self.push(frames::presence(admin, &status));
            }
        }
        // A `since` beyond the log's end names events that do not exist: start at the end.
        self.last_seq = since.map_or(last, |since| since.min(last));
        self.read_log().await;
        Ok(guard)
    }

    /// Handles every log row after the last one handled, straight from the database.
    async fn read_log(&mut self) {
        loop {
            let rows = match event_log::after(&self.hub.db, self.workspace_id, self.last_seq, PAGE).await {
                Ok(rows) => rows,
                Err(e) => return tracing::warn!(error = %e, "live: cannot read the event log"),
            };
            let full = rows.len() as i64 == PAGE;
            for row in &rows {
                self.deliver(&LiveEvent::from(row)).await;
            }
            if !full {
                return;
            }
        }
    }

    /// Sends a log row if this socket may see it and has not handled it yet.
    async fn deliver(&mut self, event: &LiveEvent) {
        if event.seq <= self.last_seq {
            return;
        }
        self.last_seq = event.seq;
        if let (Some(conversation_id), false) = (event.conversation_id, event.contact_ids.is_empty()) {
            if self.participants.get(&conversation_id) != Some(&event.contact_ids) {
                self.participants.insert(conversation_id, event.contact_ids.clone());
            }
        }
        let visible = match &self.viewer {
            // Events about no conversation (`contact.created`) are for webhooks, not sockets.
            _ if event.conversation_id.is_none() => false,
            Viewer::Agent { subscription: None, .. } => true,
            Viewer::Agent { subscription: Some(ids), .. } => event.conversation_id.is_some_and(|c| ids.contains(&c)),
            Viewer::Visitor { contact_id, .. } => event.for_everyone && event.contact_ids.contains(contact_id),
        };
        if !visible {
            return;
        }
        self.outbox.push(Message::Text(event.frame.clone()));
        if let Viewer::Visitor { contact_id, unread, .. } = self.viewer {
            // Only an admin's message or the visitor's own receipt changes what they have unread.
            let recount = match event.kind {
                Some(EventKind::ConversationCreated | EventKind::PartCreated) => {
                    event.part_author_type == Some(AuthorType::Admin)
                }
                Some(EventKind::ConversationRead) => {
                    event.reader.as_ref().is_some_and(|(kind, id)| kind == "contact" && *id == contact_id.get())
                }
                _ => false,
            };
            if recount {
                match self.unread_count(contact_id).await {
                    Ok(count) if count != unread => {
                        if let Viewer::Visitor { unread, .. } = &mut self.viewer {
                            *unread = count;
                        }
                        self.push(frames::unread(count));
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e.message, "live: cannot count unread messages"),
                }
            }
        }
    }

    /// Whether the signal ends this socket: its teammate was deactivated.
    fn is_ended_by(&self, signal: &Signal) -> bool {
        matches!((signal, &self.viewer), (Signal::AdminDeactivated { admin_id, .. }, Viewer::Agent { admin_id: mine, .. })
            if *admin_id == mine.get())
    }

    /// Passes on typing and presence signals meant for this socket.
    fn relay(&mut self, signal: &Signal) {
        match (signal, &self.viewer) {
            (Signal::Typing { conversation_id, author, contact_ids, note, .. }, viewer) => {
                let is_admin = author["type"] == "admin";
                let author_id = author["id"].as_i64();
                let wanted = match viewer {
                    Viewer::Agent { admin_id, subscription, .. } => {
                        !(is_admin && author_id == Some(admin_id.get()))
                            && subscription
                                .as_ref()
                                .is_none_or(|ids| ids.contains(&ConversationId::new(*conversation_id)))
                    }
                    // A note is internal: its writer never shows as typing to the visitor.
                    Viewer::Visitor { contact_id, .. } => {
                        !*note
                            && contact_ids.contains(&contact_id.get())
                            && (is_admin || author_id != Some(contact_id.get()))
                    }
                };
                if wanted {
                    self.push(frames::typing(*conversation_id, author, *note));
                }
            }
            (Signal::Presence { admin_id, status, .. }, Viewer::Agent { .. }) => {
                self.push(frames::presence(AdminId::from(*admin_id), status));
            }
            _ => {}
        }
    }

    async fn on_text(&mut self, text: &str) {
        let frame = match frames::parse(text) {
            Ok(frame) => frame,
            Err(error) => return self.push(error.to_frame(None)),
        };
        let client_id = frame.client_id().map(str::to_string);
        let writes = matches!(frame, ClientFrame::Send { .. } | ClientFrame::Read { .. });
        if let (true, Viewer::Visitor { contact_id, .. }) = (writes, &self.viewer) {
            if let Err(error) = self.check_may_chat(*contact_id).await {
                return self.push(error.to_frame(client_id.as_deref()));
            }
        }
        if let Err(error) = self.handle(frame).await {
            self.push(error.to_frame(client_id.as_deref()));
        }
    }

    /// A visitor blocked, archived or merged away since their socket opened may no longer write.
    async fn check_may_chat(&self, contact_id: ContactId) -> Result<(), FrameError> {
        let gone = || FrameError::forbidden("this contact can no longer use the messenger");
        match rapport_store::contacts::find(&self.hub.db, self.workspace_id, contact_id).await {
            Ok(contact) if contact.blocked || contact.archived => Err(gone()),
            Ok(_) => Ok(()),
            Err(rapport_store::StoreError::NotFound { .. }) => Err(gone()),
            Err(other) => Err(other.into()),
        }
    }

    /// The visitor's unread admin messages over all their conversations.
    async fn unread_count(&self, contact_id: ContactId) -> Result<i64, FrameError> {
        let counts =
            rapport_store::conversations::unread_for_contact(&self.hub.db, self.workspace_id, contact_id).await?;
        Ok(counts.iter().map(|(_, n)| n).sum())
    }

    /// The typing author as frames show it.
    pub(crate) fn author(&self) -> Value {
        match &self.viewer {
            Viewer::Agent { admin_id, name, .. } => json!({"type": "admin", "id": admin_id, "name": name}),
            Viewer::Visitor { contact_id, role, name, .. } => json!({"type": role, "id": contact_id, "name": name}),
        }
    }

    async fn close(&self) {
        if let Viewer::Agent { admin_id, .. } = self.viewer {
            self.hub.agent_disconnected(self.workspace_id, admin_id).await;
        }
    }
}

fn text(frame: &Value) -> Message {
    Message::Text(frame.to_string().into())
}
