//! What client frames do: send, note, typing, read, subscribe, presence, ping. Every id is looked
//! up in the socket's own workspace (and, for visitors, among their own conversations), so a
//! frame naming anything else gets `not_found`.
use rapport_core::ids::{ContactId, ConversationId};
use std::collections::HashSet;

use rapport_bus::Signal;
use rapport_store::conversations::{self, Change, ContactRef, NewConversation, Reader, SendOptions, Sent};

use super::frames::{self, body_of, client_id_of, id_of, ClientFrame, FrameError, Subscription};
use super::session::{Session, Viewer};

/// Most conversations one `subscribe` may name.
const MAX_SUBSCRIPTION: usize = 1000;

impl Session {
    /// Carries out one client frame; a refusal becomes the socket's error frame.
    pub(crate) async fn handle(&mut self, frame: ClientFrame) -> Result<(), FrameError> {
        match frame {
            ClientFrame::Ping {} => self.push(frames::pong()),
            ClientFrame::Send { conversation_id, body, client_id, attachment_ids } => {
                let body = body_of(&body)?;
                let client_id = client_id_of(&client_id)?;
                let attachment_ids =
                    attachment_ids.iter().map(|id| id_of(id, "attachment")).collect::<Result<Vec<_>, _>>()?;
                let options =
                    SendOptions { client_id: Some(client_id), attachment_ids: &attachment_ids, ..Default::default() };
                let conversation_id = conversation_id.as_ref().map(|id| id_of(id, "conversation")).transpose()?;
                let sent = self.send(conversation_id, body, options, false).await?;
                self.ack(client_id, sent);
            }
            ClientFrame::Note { conversation_id, body, client_id, mentioned_admin_ids } => {
                let body = body_of(&body)?;
                let client_id = client_id_of(&client_id)?;
                let mentioned_admin_ids =
                    mentioned_admin_ids.iter().map(|id| id_of(id, "admin")).collect::<Result<Vec<_>, _>>()?;
                let options = SendOptions {
                    client_id: Some(client_id),
                    mentioned_admin_ids: &mentioned_admin_ids,
                    ..Default::default()
                };
                let conversation_id = id_of(&conversation_id, "conversation")?;
                let sent = self.send(Some(conversation_id), body, options, true).await?;
                self.ack(client_id, sent);
            }
            ClientFrame::Typing { conversation_id, note } => {
                let conversation_id = id_of(&conversation_id, "conversation")?;
                if note && matches!(self.viewer, Viewer::Visitor { .. }) {
                    return Err(FrameError::forbidden("only teammates write notes"));
                }
                let contact_ids = self.participants_of(conversation_id).await?;
                let signal = Signal::Typing {
                    workspace_id: self.workspace_id.get(),
                    conversation_id: conversation_id.get(),
                    author: self.author(),
                    contact_ids: contact_ids.iter().map(|id| id.get()).collect(),
                    note,
                };
                self.hub.bus.publish(signal).await;
            }
            ClientFrame::Read { conversation_id, part_id } => {
                let conversation_id = id_of(&conversation_id, "conversation")?;
                let part_id = part_id.as_ref().map(|id| id_of(id, "conversation_part")).transpose()?;
                let reader = match &self.viewer {
                    Viewer::Agent { admin_id, .. } => {
                        self.require_write()?;
                        Reader::Admin(*admin_id)
                    }
                    Viewer::Visitor { contact_id, .. } => Reader::Contact(*contact_id),
                };
                // The receipt reaches every socket (this one too) as a `conversation.read` event.
                conversations::mark_read(&self.hub.db, self.workspace_id, conversation_id, reader, part_id).await?;
            }
            ClientFrame::Subscribe { conversations } => self.subscribe(conversations).await?,
            ClientFrame::Presence { status } => {
                let Viewer::Agent { admin_id, .. } = self.viewer else {
                    return Err(FrameError::forbidden("only teammates have a presence"));
                };
                if !["online", "away"].contains(&status.as_str()) {
                    return Err(FrameError::invalid("status", "status must be online or away"));
                }
                self.hub.set_presence(self.workspace_id, admin_id, &status).await;
            }
        }
        Ok(())
    }

    fn require_write(&self) -> Result<(), FrameError> {
        match self.viewer {
            Viewer::Agent { can_write: false, .. } => {
                Err(FrameError::forbidden("Your role (viewer) cannot make changes"))
            }
            _ => Ok(()),
        }
    }

    /// Stores a message: a visitor's reply or new conversation, an agent's comment or note.
    async fn send(
        &mut self,
        conversation_id: Option<ConversationId>,
        body: &str,
        options: SendOptions<'_>,
        note: bool,
    ) -> Result<Sent, FrameError> {
        let hub = self.hub.clone();
        let (db, workspace_id) = (&hub.db, self.workspace_id);
        if let (Viewer::Visitor { contact_id, .. }, Some(id)) = (&self.viewer, conversation_id) {
            let contact_id = *contact_id;
            // Another contact's conversation does not exist for this visitor.
            if !self.participants_of(id).await?.contains(&contact_id) {
                return Err(FrameError::not_found("conversation"));
            }
        }
        let sent = match (&self.viewer, conversation_id) {
            (Viewer::Visitor { .. }, _) if note => {
                return Err(FrameError::forbidden("only teammates write notes"));
            }
            (Viewer::Visitor { contact_id, .. }, None) => {
                let new = NewConversation { contact_id: *contact_id, body, subject: None, created_at: None, options };
                conversations::create(db, workspace_id, new).await?
            }
            (Viewer::Visitor { contact_id, .. }, Some(id)) => {
                let change = Change::ContactReply { contact: ContactRef::Id(*contact_id), body };
                conversations::send(db, workspace_id, id, change, options).await?
            }
            (Viewer::Agent { .. }, None) => {
                return Err(FrameError::missing("conversation_id"));
            }
            (Viewer::Agent { admin_id, .. }, Some(id)) => {
                self.require_write()?;
                let change = if note {
                    Change::AdminNote { admin_id: *admin_id, body }
                } else {
                    Change::AdminComment { admin_id: *admin_id, body }
                };
                conversations::send(db, workspace_id, id, change, options).await?
            }
        };
        Ok(sent)
    }

    fn ack(&mut self, client_id: &str, sent: Sent) {
        let conversation_id = sent.conversation.id;
        let part =
            sent.parts.into_iter().find(|p| p.body.is_some()).map(|p| serde_json::to_value(p).unwrap_or_default());
        self.push(frames::ack(client_id, conversation_id, part.unwrap_or_default(), sent.seq));
    }

    async fn subscribe(&mut self, conversations: Subscription) -> Result<(), FrameError> {
        let Viewer::Agent { .. } = self.viewer else {
            return Err(FrameError::forbidden("visitors receive their own conversations"));
        };
        let wanted = match conversations {
            Subscription::All(_) => None,
            Subscription::Only(ids) => {
                if ids.len() > MAX_SUBSCRIPTION {
                    return Err(FrameError::invalid(
                        "conversations",
                        format!("subscribe to at most {MAX_SUBSCRIPTION} conversations"),
                    ));
                }
                let mut set = HashSet::new();
                for id in &ids {
                    let id = id_of(id, "conversation")?;
                    if !set.contains(&id) {
                        conversations::find(&self.hub.db, self.workspace_id, id).await?;
                        set.insert(id);
                    }
                }
                Some(set)
            }
        };
        if let Viewer::Agent { subscription, .. } = &mut self.viewer {
            *subscription = wanted;
        }
        Ok(())
    }

    /// The contacts of a conversation of this workspace (`not_found` for any other id); for a
    /// visitor, only a conversation they take part in.
    async fn participants_of(&mut self, conversation_id: ConversationId) -> Result<Vec<ContactId>, FrameError> {
        let contact_ids = match self.participants.get(&conversation_id) {
            Some(ids) => ids.clone(),
            None => {
                conversations::find(&self.hub.db, self.workspace_id, conversation_id).await?;
                let related = conversations::related(&self.hub.db, self.workspace_id, &[conversation_id]).await?;
                let ids: Vec<ContactId> = related.contacts.iter().map(|c| c.id).collect();
                self.participants.insert(conversation_id, ids.clone());
                ids
            }
        };
        if let Viewer::Visitor { contact_id, .. } = self.viewer {
            if !contact_ids.contains(&contact_id) {
                return Err(FrameError::not_found("conversation"));
            }
        }
        Ok(contact_ids)
    }
}
