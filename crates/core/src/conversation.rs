//! The conversation state machine: states (`open`, `snoozed`, `closed`), the actions that move a
//! conversation between them, and what each action does to the reporting statistics.
//!
//! Everything here is pure: the store reads a conversation, calls [`Conversation::apply`] with
//! the action and the time, and writes back the result together with one conversation part
//! (of [`Action::part_type`]) in the same transaction. A refused action writes nothing.
use std::fmt;
use std::str::FromStr;

use crate::ids::{AdminId, TeamId};

/// Where a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConversationState {
    Open,
    Snoozed,
    Closed,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Open => "open",
            ConversationState::Snoozed => "snoozed",
            ConversationState::Closed => "closed",
        }
    }
}

impl fmt::Display for ConversationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for ConversationState {
    type Error = TransitionError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl serde::Serialize for ConversationState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl FromStr for ConversationState {
    type Err = TransitionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(ConversationState::Open),
            "snoozed" => Ok(ConversationState::Snoozed),
            "closed" => Ok(ConversationState::Closed),
            other => Err(TransitionError::UnknownState(other.to_string())),
        }
    }
}

/// Whom an assignment hands the conversation to. Intercom unassigns with an assignee id of 0,
/// which clears only the side (admin or team) named by the request's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Admin(AdminId),
    Team(TeamId),
    NoAdmin,
    NoTeam,
}

/// Something that happens to a conversation. Each action becomes exactly one conversation part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A participant contact writes (a `comment` part authored by the contact).
    ContactReply,
    /// An admin writes to the customer (a `comment` part).
    AdminComment {
        admin_id: AdminId,
    },
    /// An admin writes an internal note (a `note` part): invisible to the customer, so it
    /// neither answers nor counts as a reply.
    AdminNote {
        admin_id: AdminId,
    },
    Close {
        admin_id: AdminId,
    },
    Open {
        admin_id: AdminId,
    },
    Snooze {
        admin_id: AdminId,
        until: i64,
    },
    Assign {
        admin_id: AdminId,
        assignee: Assignee,
    },
}

impl Action {
    /// The `part_type` of the conversation part this action writes.
    pub fn part_type(&self) -> PartType {
        match self {
            Action::ContactReply | Action::AdminComment { .. } => PartType::Comment,
            Action::AdminNote { .. } => PartType::Note,
            Action::Close { .. } => PartType::Close,
            Action::Open { .. } => PartType::Open,
            Action::Snooze { .. } => PartType::Snoozed,
            Action::Assign { .. } => PartType::Assignment,
        }
    }
}

string_enum! {
    /// What a conversation part is (its `part_type`).
    pub enum PartType ("part type") {
        Comment = "comment",
        Note = "note",
        Assignment = "assignment",
        Open = "open",
        Close = "close",
        Snoozed = "snoozed",
    }
}

impl PartType {
    /// Whether contacts see parts of this type in their messenger (messages and open/close),
    /// as opposed to teammates-only parts (notes, assignments, snoozes).
    pub fn is_public(self) -> bool {
        matches!(self, PartType::Comment | PartType::Close | PartType::Open)
    }
}

string_enum! {
    /// Who wrote a part (its `author_type`, a conversation's `source_author_type`): a teammate,
    /// a contact by role, or a bot (Intercom's; never written by Rapport, read as a teammate).
    pub enum AuthorType ("author type") {
        Admin = "admin",
        User = "user",
        Lead = "lead",
        Bot = "bot",
    }
}

impl AuthorType {
    /// A teammate or a bot, as opposed to the customer.
    pub fn is_teammate(self) -> bool {
        matches!(self, AuthorType::Admin | AuthorType::Bot)
    }
}

impl From<crate::contact::ContactRole> for AuthorType {
    fn from(role: crate::contact::ContactRole) -> Self {
        match role {
            crate::contact::ContactRole::User => AuthorType::User,
            crate::contact::ContactRole::Lead => AuthorType::Lead,
        }
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("unknown conversation state {0:?}")]
    UnknownState(String),
    #[error("the conversation is already closed")]
    AlreadyClosed,
    #[error("the conversation is already open")]
    AlreadyOpen,
    #[error("snoozed_until must be in the future")]
    SnoozeInPast,
}

/// The reporting numbers Intercom keeps per conversation (`statistics`). Times are unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statistics {
    pub first_contact_reply_at: Option<i64>,
    pub first_assignment_at: Option<i64>,
    pub first_admin_reply_at: Option<i64>,
    pub first_close_at: Option<i64>,
    pub last_assignment_at: Option<i64>,
    pub last_assignment_admin_reply_at: Option<i64>,
    pub last_contact_reply_at: Option<i64>,
    pub last_admin_reply_at: Option<i64>,
    pub last_close_at: Option<i64>,
    pub last_closed_by_id: Option<AdminId>,
    pub count_reopens: i64,
    pub count_assignments: i64,
    /// Parts after the opening message (the source is not a part, as in Intercom).
    pub count_parts: i64,
    /// Seconds from the last assignment made before the first admin reply to the conversation's
    /// start (Intercom's `time_to_assignment`); fixed once an admin has replied.
    pub time_to_assignment: Option<i64>,
    /// Every response time so far: seconds an admin comment answered a waiting customer after.
    pub reply_times: Vec<i64>,
}

impl Statistics {
    /// Seconds from the customer's first message to the first admin reply.
    pub fn time_to_admin_reply(&self) -> Option<i64> {
        Some(self.first_admin_reply_at? - self.first_contact_reply_at?)
    }

    pub fn time_to_first_close(&self) -> Option<i64> {
        Some(self.first_close_at? - self.first_contact_reply_at?)
    }

    pub fn time_to_last_close(&self) -> Option<i64> {
        Some(self.last_close_at? - self.first_contact_reply_at?)
    }

    /// The median of all response times (the lower-middle mean for an even count, rounded down).
    pub fn median_time_to_reply(&self) -> Option<i64> {
        let mut times = self.reply_times.clone();
        if times.is_empty() {
            return None;
        }
        times.sort_unstable();
        let mid = times.len() / 2;
        Some(if times.len() % 2 == 1 { times[mid] } else { (times[mid - 1] + times[mid]) / 2 })
    }
}

/// The parts of a conversation that actions change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub state: ConversationState,
    pub created_at: i64,
    pub read: bool,
    /// Since when the customer has been waiting for an admin's answer (`None` once answered).
    pub waiting_since: Option<i64>,
    pub snoozed_until: Option<i64>,
    pub admin_assignee_id: Option<AdminId>,
    pub team_assignee_id: Option<TeamId>,
    pub statistics: Statistics,
}

impl Conversation {
    /// A conversation a contact starts at `at` with their first message: open, unassigned,
    /// unread and waiting for an answer.
    pub fn started_by_contact(at: i64) -> Self {
        Conversation {
            state: ConversationState::Open,
            created_at: at,
            read: false,
            waiting_since: Some(at),
            snoozed_until: None,
            admin_assignee_id: None,
            team_assignee_id: None,
            statistics: Statistics {
                first_contact_reply_at: Some(at),
                last_contact_reply_at: Some(at),
                ..Statistics::default()
            },
        }
    }

    pub fn is_open(&self) -> bool {
        self.state == ConversationState::Open
    }

    /// The conversation after `action` at time `at`, or why the action is refused.
    pub fn apply(&self, action: &Action, at: i64) -> Result<Conversation, TransitionError> {
        let mut next = self.clone();
        let stats = &mut next.statistics;
        match *action {
            Action::ContactReply => {
                // A customer writing again wakes a snoozed or closed conversation up.
                if self.state == ConversationState::Closed {
                    stats.count_reopens += 1;
                }
                next.state = ConversationState::Open;
                next.snoozed_until = None;
                next.read = false;
                // Waiting started with the first unanswered message, not the latest one.
                next.waiting_since = self.waiting_since.or(Some(at));
                stats.first_contact_reply_at.get_or_insert(at);
                stats.last_contact_reply_at = Some(at);
            }
            Action::AdminComment { .. } => {
                if let Some(since) = self.waiting_since {
                    stats.reply_times.push((at - since).max(0));
                }
                next.waiting_since = None;
                next.read = true;
                stats.first_admin_reply_at.get_or_insert(at);
                stats.last_admin_reply_at = Some(at);
                if stats.last_assignment_at.is_some() {
                    stats.last_assignment_admin_reply_at.get_or_insert(at);
                }
            }
            Action::AdminNote { .. } => {}
            Action::Close { admin_id } => {
                if self.state == ConversationState::Closed {
                    return Err(TransitionError::AlreadyClosed);
                }
                next.state = ConversationState::Closed;
                next.snoozed_until = None;
                // Nobody waits on a closed conversation; a new message starts the clock again.
                next.waiting_since = None;
                stats.first_close_at.get_or_insert(at);
                stats.last_close_at = Some(at);
                stats.last_closed_by_id = Some(admin_id);
            }
            Action::Open { .. } => {
                match self.state {
                    ConversationState::Open => return Err(TransitionError::AlreadyOpen),
                    ConversationState::Closed => stats.count_reopens += 1,
                    // Unsnoozing is not a reopen: the conversation was never closed.
                    ConversationState::Snoozed => {}
                }
                next.state = ConversationState::Open;
                next.snoozed_until = None;
            }
            Action::Snooze { until, .. } => {
                if until <= at {
                    return Err(TransitionError::SnoozeInPast);
                }
                next.state = ConversationState::Snoozed;
                next.snoozed_until = Some(until);
            }
            Action::Assign { assignee, .. } => {
                match assignee {
                    Assignee::Admin(id) => next.admin_assignee_id = Some(id),
                    Assignee::Team(id) => next.team_assignee_id = Some(id),
                    Assignee::NoAdmin => next.admin_assignee_id = None,
                    Assignee::NoTeam => next.team_assignee_id = None,
                }
                if matches!(assignee, Assignee::Admin(_) | Assignee::Team(_)) {
                    stats.count_assignments += 1;
                    stats.first_assignment_at.get_or_insert(at);
                    stats.last_assignment_at = Some(at);
                    // The new assignee has not replied yet.
                    stats.last_assignment_admin_reply_at = None;
                    if stats.first_admin_reply_at.is_none() {
                        stats.time_to_assignment = Some(at - self.created_at);
                    }
                }
            }
        }
        stats.count_parts += 1;
        Ok(next)
    }
}

/// The text of an HTML body for `display_as=plaintext`: tags dropped, block ends turned into
/// line breaks, the common entities decoded. Never interprets anything else.
pub fn plaintext(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        // `<` not followed by a tag name is text ("a < b").
        let starts_tag =
            rest[start + 1..].chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        if !starts_tag {
            out.push('<');
            rest = &rest[start + 1..];
            continue;
        }
        let Some(end) = rest[start..].find('>') else {
            // A lone '<' is text, not a tag.
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end].trim().to_ascii_lowercase();
        if tag.starts_with("br") || tag == "/p" || tag == "/div" || tag == "/li" {
            out.push('\n');
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    decoded.trim_end_matches('\n').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000;

    fn started() -> Conversation {
        Conversation::started_by_contact(T0)
    }

    #[test]
    fn a_new_conversation_is_open_unassigned_and_waiting() {
        let c = started();
        assert!(c.is_open());
        assert_eq!((c.admin_assignee_id, c.team_assignee_id), (None, None));
        assert_eq!(c.waiting_since, Some(T0));
        assert_eq!(c.statistics.first_contact_reply_at, Some(T0));
        assert_eq!(c.statistics.count_parts, 0);
    }

    #[test]
    fn admin_comment_answers_and_records_reply_times() {
        let c = started().apply(&Action::AdminComment { admin_id: AdminId::new(1) }, T0 + 60).unwrap();
        assert_eq!(c.waiting_since, None);
        assert_eq!(c.statistics.first_admin_reply_at, Some(T0 + 60));
        assert_eq!(c.statistics.time_to_admin_reply(), Some(60));
        let c = c.apply(&Action::ContactReply, T0 + 100).unwrap();
        assert_eq!(c.waiting_since, Some(T0 + 100));
        // A second customer message does not restart the clock.
        let c = c.apply(&Action::ContactReply, T0 + 150).unwrap();
        assert_eq!(c.waiting_since, Some(T0 + 100));
        assert_eq!(c.statistics.last_contact_reply_at, Some(T0 + 150));
        let c = c.apply(&Action::AdminComment { admin_id: AdminId::new(2) }, T0 + 200).unwrap();
        assert_eq!(c.statistics.reply_times, vec![60, 100]);
        assert_eq!(c.statistics.median_time_to_reply(), Some(80));
        assert_eq!(c.statistics.first_admin_reply_at, Some(T0 + 60));
        assert_eq!(c.statistics.last_admin_reply_at, Some(T0 + 200));
        assert_eq!(c.statistics.count_parts, 4);
    }

    #[test]
    fn notes_change_nothing_but_the_part_count() {
        let before = started();
        let after = before.apply(&Action::AdminNote { admin_id: AdminId::new(1) }, T0 + 5).unwrap();
        assert_eq!(after.waiting_since, Some(T0));
        assert_eq!(after.statistics.first_admin_reply_at, None);
        assert_eq!(after.statistics.count_parts, 1);
    }

    #[test]
    fn close_open_and_reopen_counts() {
        let c = started().apply(&Action::Close { admin_id: AdminId::new(7) }, T0 + 10).unwrap();
        assert_eq!(c.state, ConversationState::Closed);
        assert_eq!(
            (c.statistics.first_close_at, c.statistics.last_closed_by_id),
            (Some(T0 + 10), Some(AdminId::new(7)))
        );
        assert_eq!(c.waiting_since, None);
        assert_eq!(c.apply(&Action::Close { admin_id: AdminId::new(7) }, T0 + 11), Err(TransitionError::AlreadyClosed));
        let c = c.apply(&Action::Open { admin_id: AdminId::new(7) }, T0 + 20).unwrap();
        assert_eq!(c.statistics.count_reopens, 1);
        assert_eq!(c.apply(&Action::Open { admin_id: AdminId::new(7) }, T0 + 21), Err(TransitionError::AlreadyOpen));
        let c = c.apply(&Action::Close { admin_id: AdminId::new(8) }, T0 + 30).unwrap();
        assert_eq!(c.statistics.first_close_at, Some(T0 + 10));
        assert_eq!(c.statistics.last_close_at, Some(T0 + 30));
        assert_eq!(c.statistics.time_to_last_close(), Some(30));
        // A contact writing to a closed conversation reopens it and starts waiting.
        let c = c.apply(&Action::ContactReply, T0 + 40).unwrap();
        assert!(c.is_open());
        assert_eq!(c.statistics.count_reopens, 2);
        assert_eq!(c.waiting_since, Some(T0 + 40));
    }

    #[test]
    fn snooze_needs_a_future_time_and_unsnoozing_is_not_a_reopen() {
        let c = started();
        assert_eq!(
            c.apply(&Action::Snooze { admin_id: AdminId::new(1), until: T0 }, T0),
            Err(TransitionError::SnoozeInPast)
        );
        let s = c.apply(&Action::Snooze { admin_id: AdminId::new(1), until: T0 + 3600 }, T0).unwrap();
        assert_eq!((s.state, s.snoozed_until), (ConversationState::Snoozed, Some(T0 + 3600)));
        let o = s.apply(&Action::Open { admin_id: AdminId::new(1) }, T0 + 5).unwrap();
        assert_eq!((o.state, o.snoozed_until, o.statistics.count_reopens), (ConversationState::Open, None, 0));
        let r = s.apply(&Action::ContactReply, T0 + 5).unwrap();
        assert_eq!((r.state, r.snoozed_until, r.statistics.count_reopens), (ConversationState::Open, None, 0));
        let closed = s.apply(&Action::Close { admin_id: AdminId::new(1) }, T0 + 6).unwrap();
        assert_eq!(closed.snoozed_until, None);
    }

    #[test]
    fn assignments_count_and_unassigning_does_not() {
        let c = started();
        let a = c
            .apply(&Action::Assign { admin_id: AdminId::new(1), assignee: Assignee::Team(TeamId::new(5)) }, T0 + 10)
            .unwrap();
        let a = a
            .apply(&Action::Assign { admin_id: AdminId::new(1), assignee: Assignee::Admin(AdminId::new(2)) }, T0 + 20)
            .unwrap();
        assert_eq!((a.admin_assignee_id, a.team_assignee_id), (Some(AdminId::new(2)), Some(TeamId::new(5))));
        assert_eq!(a.statistics.count_assignments, 2);
        assert_eq!(a.statistics.first_assignment_at, Some(T0 + 10));
        assert_eq!(a.statistics.last_assignment_at, Some(T0 + 20));
        assert_eq!(a.statistics.time_to_assignment, Some(20));
        let r = a.apply(&Action::AdminComment { admin_id: AdminId::new(2) }, T0 + 30).unwrap();
        assert_eq!(r.statistics.last_assignment_admin_reply_at, Some(T0 + 30));
        // After the first reply, reassigning no longer moves time_to_assignment.
        let r = r
            .apply(&Action::Assign { admin_id: AdminId::new(1), assignee: Assignee::Admin(AdminId::new(3)) }, T0 + 40)
            .unwrap();
        assert_eq!(r.statistics.time_to_assignment, Some(20));
        assert_eq!(r.statistics.last_assignment_admin_reply_at, None);
        let u = r.apply(&Action::Assign { admin_id: AdminId::new(1), assignee: Assignee::NoAdmin }, T0 + 50).unwrap();
        assert_eq!((u.admin_assignee_id, u.team_assignee_id), (None, Some(TeamId::new(5))));
        assert_eq!(u.statistics.count_assignments, 3);
        let u = u.apply(&Action::Assign { admin_id: AdminId::new(1), assignee: Assignee::NoTeam }, T0 + 60).unwrap();
        assert_eq!(u.team_assignee_id, None);
    }

    #[test]
    fn states_round_trip_and_part_types() {
        for s in [ConversationState::Open, ConversationState::Snoozed, ConversationState::Closed] {
            assert_eq!(s.as_str().parse::<ConversationState>().unwrap(), s);
        }
        assert!("deleted".parse::<ConversationState>().is_err());
        assert_eq!(Action::Snooze { admin_id: AdminId::new(1), until: 2 }.part_type(), PartType::Snoozed);
        assert_eq!(Action::AdminNote { admin_id: AdminId::new(1) }.part_type(), PartType::Note);
    }

    #[test]
    fn plaintext_strips_tags_without_interpreting() {
        assert_eq!(plaintext("<p>Hi <b>there</b></p><p>Bye</p>"), "Hi there\nBye");
        assert_eq!(plaintext("a < b &amp; <script>x</script>"), "a < b & x");
        assert_eq!(plaintext("1 &lt; 2"), "1 < 2");
        assert_eq!(plaintext("'; DROP TABLE x; --"), "'; DROP TABLE x; --");
    }
}
