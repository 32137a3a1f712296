//! Tickets: what a request is, how it may move through its workflow, and what makes one valid.

use super::{DocumentId, Timestamp};

/// A title longer than this is refused; a list row cannot show more anyway.
pub const MAX_TITLE_CHARS: usize = 200;
/// Descriptions beyond this are refused: one ticket document must stay small enough to load instantly.
pub const MAX_DESCRIPTION_BYTES: usize = 100 * 1024;
/// The same bound for each comment.
pub const MAX_COMMENT_BYTES: usize = 100 * 1024;

/// Where a ticket stands in its workflow.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    InProgress,
    WaitingOnRequester,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::InProgress,
        Status::WaitingOnRequester,
        Status::Resolved,
        Status::Closed,
    ];

    /// The stable name stored in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::WaitingOnRequester => "waiting_on_requester",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The statuses a ticket may move to from this one. Resolved and closed tickets can only be reopened
    /// (back to in progress); nothing returns to `New`, which means "nobody has looked at it yet".
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            New => &[InProgress, WaitingOnRequester, Resolved],
            InProgress => &[WaitingOnRequester, Resolved],
            WaitingOnRequester => &[InProgress, Resolved],
            Resolved => &[Closed, InProgress],
            Closed => &[InProgress],
        }
    }

    pub fn can_move_to(self, to: Status) -> bool {
        self.next().contains(&to)
    }

    /// Still needs work from the serving side (counts towards backlog).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }
}

/// How urgent a ticket is.
#[derive(
    Debug,
    Default,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Urgent,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// Who may read a comment: everyone on the ticket, or only the serving side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// A reply the requester sees.
    Public,
    /// A note for the serving department only.
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Visibility::Public, Visibility::Internal]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

/// A reply or an internal note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub at: Timestamp,
    pub by: String,
    pub body: String,
    pub visibility: Visibility,
    /// The people (by email) it mentions; they are told and may read the ticket.
    pub mentions: Vec<String>,
}

/// Something that happened to a ticket; the history is the list of these, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    pub at: Timestamp,
    pub by: String,
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Created,
    StatusChanged {
        from: Status,
        to: Status,
    },
    Commented {
        visibility: Visibility,
    },
    PriorityChanged {
        from: Priority,
        to: Priority,
    },
    /// Handed to another serving department (its queue).
    Reassigned {
        from: String,
        to: String,
    },
    CategoryChanged {
        from: String,
        to: String,
    },
    /// Given to a person of the serving team (by email; empty: nobody).
    Assigned {
        from: String,
        to: String,
    },
}

/// A change to a ticket's classification: how urgent, who serves it, what kind of request it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reclassification {
    pub priority: Priority,
    pub department: String,
    pub category: String,
}

/// Why a reclassification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReclassifyError {
    #[error("a serving department is required")]
    DepartmentMissing,
}

impl Reclassification {
    /// The events that turn `ticket`'s classification into this one (none if nothing changed).
    pub fn events_for(&self, ticket: &Ticket) -> Result<Vec<EventKind>, ReclassifyError> {
        let department = self.department.trim();
        let category = self.category.trim();
        if department.is_empty() {
            return Err(ReclassifyError::DepartmentMissing);
        }
        let mut events = Vec::new();
        if self.priority != ticket.priority {
            events.push(EventKind::PriorityChanged {
                from: ticket.priority,
                to: self.priority,
            });
        }
        if department != ticket.department {
            events.push(EventKind::Reassigned {
                from: ticket.department.clone(),
                to: department.into(),
            });
        }
        if category != ticket.category {
            events.push(EventKind::CategoryChanged {
                from: ticket.category.clone(),
                to: category.into(),
            });
        }
        Ok(events)
    }
}

/// A ticket as people see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: DocumentId,
    pub title: String,
    pub description: String,
    pub requester: String,
    /// The requester's email and department at filing time, if known from the directory.
    pub requester_email: String,
    pub customer_department: String,
    /// The department that serves this request (its queue).
    pub department: String,
    /// The catalog service requested, and the answers to its form.
    pub service: String,
    pub answers: std::collections::BTreeMap<String, String>,
    pub category: String,
    pub priority: Priority,
    pub status: Status,
    pub created_at: Timestamp,
    pub created_by: String,
    /// The signed-in person who filed it (their account's id; empty on a desk of one's own).
    pub filed_by: String,
    pub comments: Vec<Comment>,
    pub events: Vec<TicketEvent>,
    /// The rating request and the requester's rating.
    pub feedback: super::voice::rating::Feedback,
    /// The ticket this one follows up (a low rating opens a follow-up).
    pub follow_up_of: Option<DocumentId>,
    /// Articles suggested while it was typed; the one that solved it, if any.
    pub self_help: super::knowledge::SelfHelp,
    /// Knowledge-base articles linked to it, with their titles when linked.
    pub articles: Vec<(DocumentId, String)>,
    /// The person of the serving team it is assigned to (by email), if anyone.
    pub assignee: String,
    /// People (by email) who follow it: approvers, people mentioned, watchers added by rules.
    pub watchers: Vec<String>,
    /// Its approval, if one was asked for.
    pub approval: Option<super::automation::Approval>,
    /// When each person (by email, or name without one) last read it.
    pub seen: std::collections::BTreeMap<String, Timestamp>,
    /// What automation rules did to it, by firing key.
    pub fired: std::collections::BTreeMap<String, super::automation::FiringRecord>,
}

impl Ticket {
    /// Folds what automation rules did into the history and the conversation, and works out the
    /// assignee from the history (people and rules both assign).
    pub fn with_automation(mut self) -> Self {
        use super::automation::Effect;
        for record in self.fired.values() {
            let by = &record.rule;
            for effect in &record.effects {
                let kind = match effect {
                    Effect::Priority { from, to } => EventKind::PriorityChanged {
                        from: *from,
                        to: *to,
                    },
                    Effect::Queue { from, to } => EventKind::Reassigned {
                        from: from.clone(),
                        to: to.clone(),
                    },
                    Effect::Status { from, to } => EventKind::StatusChanged {
                        from: *from,
                        to: *to,
                    },
                    Effect::Assigned { from, to } => EventKind::Assigned {
                        from: from.clone(),
                        to: to.clone(),
                    },
                    Effect::Reply { body, visibility } => {
                        self.comments.push(Comment {
                            at: record.at,
                            by: by.clone(),
                            body: body.clone(),
                            visibility: *visibility,
                            mentions: Vec::new(),
                        });
                        EventKind::Commented {
                            visibility: *visibility,
                        }
                    }
                    _ => continue,
                };
                self.events.push(TicketEvent {
                    at: record.at,
                    by: by.clone(),
                    kind,
                });
            }
        }
        self.events.sort_by_key(|e| e.at);
        self.comments.sort_by_key(|c| c.at);
        self.assignee = self
            .events
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::Assigned { to, .. } => Some(to.clone()),
                _ => None,
            })
            .unwrap_or_default();
        self
    }

    /// When anything last happened to the ticket.
    pub fn updated_at(&self) -> Timestamp {
        self.events
            .iter()
            .map(|e| e.at)
            .max()
            .unwrap_or(self.created_at)
            .max(self.created_at)
    }

    /// Who resolved the ticket last, if it is resolved or closed.
    pub fn resolved_by(&self) -> Option<&str> {
        if !matches!(self.status, Status::Resolved | Status::Closed) {
            return None;
        }
        self.events.iter().rev().find_map(|e| match e.kind {
            EventKind::StatusChanged {
                to: Status::Resolved,
                ..
            } => Some(e.by.as_str()),
            _ => None,
        })
    }
}

/// What someone typed into the new-ticket form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketDraft {
    pub title: String,
    pub description: String,
    pub requester: String,
    /// The requester's email and department, when picked from the directory (empty otherwise).
    pub requester_email: String,
    pub customer_department: String,
    pub department: String,
    /// The catalog service requested, and the answers to its form (empty without a service).
    pub service: String,
    pub answers: std::collections::BTreeMap<String, String>,
    pub category: String,
    pub priority: Priority,
    /// The ticket this one follows up, if any.
    pub follow_up_of: Option<DocumentId>,
    /// Articles suggested while it was typed; the one that solved it, if any.
    pub self_help: super::knowledge::SelfHelp,
}

/// One reason a draft cannot become a ticket. A form shows each next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("a title is required")]
    TitleMissing,
    #[error("the title is longer than {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("the description is larger than {MAX_DESCRIPTION_BYTES} bytes")]
    DescriptionTooLarge,
    #[error("a requester is required")]
    RequesterMissing,
    #[error("a serving department is required")]
    DepartmentMissing,
}

impl TicketDraft {
    /// Trims the fields and checks them, returning every problem at once so a form can show them together.
    pub fn validate(&self) -> Result<TicketDraft, Vec<DraftError>> {
        let title = self.title.trim();
        let mut errors = Vec::new();
        if title.is_empty() {
            errors.push(DraftError::TitleMissing);
        } else if title.chars().count() > MAX_TITLE_CHARS {
            errors.push(DraftError::TitleTooLong);
        }
        if self.description.len() > MAX_DESCRIPTION_BYTES {
            errors.push(DraftError::DescriptionTooLarge);
        }
        if self.requester.trim().is_empty() {
            errors.push(DraftError::RequesterMissing);
        }
        if self.department.trim().is_empty() {
            errors.push(DraftError::DepartmentMissing);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TicketDraft {
            title: title.to_string(),
            description: self.description.trim_end().to_string(),
            requester: self.requester.trim().to_string(),
            requester_email: self.requester_email.trim().to_lowercase(),
            customer_department: self.customer_department.trim().to_string(),
            service: self.service.clone(),
            answers: self.answers.clone(),
            department: self.department.trim().to_string(),
            category: self.category.trim().to_string(),
            priority: self.priority,
            follow_up_of: self.follow_up_of,
            self_help: self.self_help,
        })
    }
}

/// A status change the workflow does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a ticket cannot move from {} to {}", from.as_str(), to.as_str())]
pub struct TransitionError {
    pub from: Status,
    pub to: Status,
}

/// Why a comment cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("a comment cannot be empty")]
    Empty,
    #[error("the comment is larger than {MAX_COMMENT_BYTES} bytes")]
    TooLarge,
}

/// Trims a comment body and checks it.
pub fn validate_comment(body: &str) -> Result<String, CommentError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(CommentError::Empty);
    }
    if body.len() > MAX_COMMENT_BYTES {
        return Err(CommentError::TooLarge);
    }
    Ok(body.to_string())
}

/// Checks a status change against the workflow.
pub fn check_transition(from: Status, to: Status) -> Result<(), TransitionError> {
    if from.can_move_to(to) {
        Ok(())
    } else {
        Err(TransitionError { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn draft() -> TicketDraft {
        TicketDraft {
            title: "  VPN 无法连接 ".into(),
            description: "Since Monday.\n\n".into(),
            requester: " 王芳 ".into(),
            department: "IT".into(),
            category: " Network ".into(),
            priority: Priority::High,
            ..Default::default()
        }
    }

    #[test]
    fn workflow_table() {
        let allowed = [
            (New, InProgress),
            (New, WaitingOnRequester),
            (New, Resolved),
            (InProgress, WaitingOnRequester),
            (InProgress, Resolved),
            (WaitingOnRequester, InProgress),
            (WaitingOnRequester, Resolved),
            (Resolved, Closed),
            (Resolved, InProgress),
            (Closed, InProgress),
        ];
        for from in Status::ALL {
            for to in Status::ALL {
                let expected = allowed.contains(&(from, to));
                assert_eq!(from.can_move_to(to), expected, "{from:?} -> {to:?}");
                assert_eq!(check_transition(from, to).is_ok(), expected);
            }
        }
    }

    #[test]
    fn status_names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Some(p));
        }
        assert_eq!(Status::parse("bogus"), None);
    }

    #[test]
    fn open_statuses() {
        assert!(New.is_open() && InProgress.is_open() && WaitingOnRequester.is_open());
        assert!(!Resolved.is_open() && !Closed.is_open());
    }

    #[test]
    fn valid_draft_is_trimmed() {
        let valid = draft().validate().unwrap();
        assert_eq!(valid.title, "VPN 无法连接");
        assert_eq!(valid.requester, "王芳");
        assert_eq!(valid.category, "Network");
        assert_eq!(valid.description, "Since Monday.");
    }

    #[test]
    fn blank_title_and_missing_fields_are_all_reported() {
        let bad = TicketDraft {
            title: " \t\n".into(),
            requester: "".into(),
            department: " ".into(),
            ..draft()
        };
        assert_eq!(
            bad.validate(),
            Err(vec![
                DraftError::TitleMissing,
                DraftError::RequesterMissing,
                DraftError::DepartmentMissing
            ])
        );
    }

    #[test]
    fn oversize_description_and_title_are_refused() {
        let big = TicketDraft {
            description: "x".repeat(MAX_DESCRIPTION_BYTES + 1),
            ..draft()
        };
        assert_eq!(big.validate(), Err(vec![DraftError::DescriptionTooLarge]));
        let at_limit = TicketDraft {
            description: "x".repeat(MAX_DESCRIPTION_BYTES),
            ..draft()
        };
        assert!(at_limit.validate().is_ok());
        let long_title = TicketDraft {
            title: "长".repeat(MAX_TITLE_CHARS + 1),
            ..draft()
        };
        assert_eq!(long_title.validate(), Err(vec![DraftError::TitleTooLong]));
    }

    #[test]
    fn reclassification_records_only_what_changed() {
        let valid = draft().validate().unwrap();
        let ticket = Ticket {
            id: DocumentId::from_bytes([1; 16]),
            title: valid.title,
            description: valid.description,
            requester: valid.requester,
            requester_email: valid.requester_email,
            customer_department: valid.customer_department,
            department: valid.department,
            service: valid.service,
            answers: valid.answers,
            category: valid.category,
            priority: valid.priority,
            status: Status::New,
            created_at: Timestamp(0),
            created_by: "a".into(),
            filed_by: String::new(),
            comments: vec![],
            events: vec![],
            feedback: Default::default(),
            follow_up_of: None,
            self_help: Default::default(),
            articles: Vec::new(),
            assignee: String::new(),
            watchers: Vec::new(),
            approval: None,
            seen: Default::default(),
            fired: Default::default(),
        };
        let same = Reclassification {
            priority: Priority::High,
            department: " IT ".into(),
            category: "Network".into(),
        };
        assert_eq!(same.events_for(&ticket), Ok(vec![]));
        let moved = Reclassification {
            priority: Priority::Urgent,
            department: "财务部".into(),
            category: "Network".into(),
        };
        assert_eq!(
            moved.events_for(&ticket),
            Ok(vec![
                EventKind::PriorityChanged {
                    from: Priority::High,
                    to: Priority::Urgent
                },
                EventKind::Reassigned {
                    from: "IT".into(),
                    to: "财务部".into()
                },
            ])
        );
        let nowhere = Reclassification {
            department: "  ".into(),
            ..same
        };
        assert_eq!(
            nowhere.events_for(&ticket),
            Err(ReclassifyError::DepartmentMissing)
        );
    }

    #[test]
    fn comments_are_trimmed_and_bounded() {
        assert_eq!(validate_comment("  已处理 "), Ok("已处理".into()));
        assert_eq!(validate_comment("   "), Err(CommentError::Empty));
        assert_eq!(
            validate_comment(&"y".repeat(MAX_COMMENT_BYTES + 1)),
            Err(CommentError::TooLarge)
        );
    }
}
