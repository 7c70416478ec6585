//! The kinds of event the event log records. Live sockets, webhooks and the mail sender read
//! the same log, so they match on these rather than on spelled-out strings.

string_enum! {
    /// What an event-log row records (its `kind` column and the live frame's `kind`).
    pub enum EventKind ("event kind") {
        ConversationCreated = "conversation.created",
        ConversationUpdated = "conversation.updated",
        ConversationDeleted = "conversation.deleted",
        ConversationRead = "conversation.read",
        ConversationMerged = "conversation.merged",
        ConversationMergedAway = "conversation.merged_away",
        ConversationTagged = "conversation.tagged",
        ConversationUntagged = "conversation.untagged",
        PartCreated = "conversation_part.created",
        PartTagged = "conversation_part.tagged",
        PartUntagged = "conversation_part.untagged",
        PartEmailDelivery = "conversation_part.email_delivery",
        SlaAtRisk = "sla.at_risk",
        SlaBreached = "sla.breached",
        ContactCreated = "contact.created",
        ContactMerged = "contact.merged",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_as_their_strings() {
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(*kind));
            assert_eq!(serde_json::to_string(kind).unwrap(), format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<EventKind>(&format!("\"{kind}\"")).unwrap(), *kind);
        }
        let unknown = "conversation.part.created".parse::<EventKind>().unwrap_err();
        assert_eq!(unknown.to_string(), "unknown event kind \"conversation.part.created\"");
    }
}
