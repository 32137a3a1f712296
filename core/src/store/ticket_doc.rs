//! One Automerge document per ticket: its fields, its comments and its append-only event history.
//!
//! ```
//! use innerdesk_core::domain::*;
//! use innerdesk_core::store::TicketDoc;
//! let draft = TicketDraft {
//!     title: "打印机卡纸".into(), description: "3 楼".into(), requester: "王芳".into(),
//!     department: "IT".into(), ..Default::default()
//! };
//! let id = DocumentId::from_bytes([1; 16]);
//! let filer = Profile::new("王芳", "财务部").unwrap();
//! let mut doc = TicketDoc::create(id, &draft, &filer, Timestamp(1_000)).unwrap();
//! doc.change_status(Status::InProgress, "Li Lei", Timestamp(2_000)).unwrap();
//! assert_eq!(doc.read().unwrap().status, Status::InProgress);
//! ```

use super::fields::{check_header, int_at, obj_at, parsed_at, push_map, str_at, write_header};
use super::migrate::{migrate, Step};
use super::StoreError;
use crate::domain::automation::{Approval, Decision, Effect, FiringRecord};
use crate::domain::knowledge::SelfHelp;
use crate::domain::voice::rating::{check_rating, Feedback, Rating, RatingError};
use crate::domain::{
    check_transition, validate_comment, Comment, CommentError, DocumentId, EventKind, Profile,
    Reclassification, ReclassifyError, Status, Ticket, TicketDraft, TicketEvent, Timestamp,
    TransitionError, Visibility,
};
use automerge::{
    transaction::Transactable, AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, ROOT,
};

pub(crate) const KIND: &str = "ticket";
/// 2: people following the ticket are the keys of a `followers` map (schema 1 kept a `watchers`
/// list, where two devices adding the same person made two entries); the list is still read.
const SCHEMA: i64 = 2;
const MIGRATIONS: &[Step] = &[Step {
    to: 2,
    apply: |doc| {
        if doc.get(ROOT, FOLLOWERS)?.is_none() {
            doc.put_object(ROOT, FOLLOWERS, ObjType::Map)?;
        }
        Ok(())
    },
}];
const FOLLOWERS: &str = "followers";

/// A ticket's Automerge document.
#[derive(Debug, Clone)]
pub struct TicketDoc {
    doc: AutoCommit,
}

/// Why a change to a ticket was refused.
#[derive(Debug, thiserror::Error)]
pub enum TicketChangeError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Comment(#[from] CommentError),
    #[error(transparent)]
    Reclassify(#[from] ReclassifyError),
    #[error(transparent)]
    Rating(#[from] RatingError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<automerge::AutomergeError> for TicketChangeError {
    fn from(e: automerge::AutomergeError) -> Self {
        Self::Store(e.into())
    }
}

impl TicketDoc {
    /// Creates the document for a new ticket from a draft that passed [`TicketDraft::validate`].
    pub fn create(
        id: DocumentId,
        draft: &TicketDraft,
        by: &Profile,
        now: Timestamp,
    ) -> Result<Self, StoreError> {
        let by_name = by.name.as_str();
        let mut doc = AutoCommit::new();
        write_header(&mut doc, KIND, SCHEMA)?;
        doc.put(ROOT, "id", id.to_string())?;
        doc.put(ROOT, "title", draft.title.as_str())?;
        // Descriptions are co-edited prose, so they are Automerge text rather than a last-writer-wins string.
        let description = doc.put_object(ROOT, "description", ObjType::Text)?;
        doc.splice_text(&description, 0, 0, &draft.description)?;
        doc.put(ROOT, "requester", draft.requester.as_str())?;
        if !draft.requester_email.is_empty() {
            doc.put(ROOT, "requester_email", draft.requester_email.as_str())?;
            doc.put(
                ROOT,
                "customer_department",
                draft.customer_department.as_str(),
            )?;
        }
        doc.put(ROOT, "department", draft.department.as_str())?;
        doc.put(ROOT, "category", draft.category.as_str())?;
        if !draft.service.is_empty() {
            doc.put(ROOT, "service", draft.service.as_str())?;
            let answers = doc.put_object(ROOT, "answers", ObjType::Map)?;
            for (key, value) in &draft.answers {
                doc.put(&answers, key.as_str(), value.as_str())?;
            }
        }
        if let Some(original) = draft.follow_up_of {
            doc.put(ROOT, "follow_up_of", original.to_string())?;
        }
        if let Some(article) = draft.self_help.solved_by {
            doc.put(ROOT, "solved_by", article.to_string())?;
        }
        if draft.self_help.suggested > 0 {
            doc.put(ROOT, "suggested", i64::from(draft.self_help.suggested))?;
        }
        doc.put(ROOT, "priority", draft.priority.as_str())?;
        doc.put(ROOT, "status", Status::New.as_str())?;
        doc.put(ROOT, "created_at", ScalarValue::Timestamp(now.0))?;
        doc.put(ROOT, "created_by", by_name)?;
        // The relay decides who may read the ticket from these two fields (see `store::facts`).
        if let Some(account) = &by.account {
            doc.put(ROOT, "requester_id", account.person.0.as_str())?;
        }
        doc.put_object(ROOT, FOLLOWERS, ObjType::Map)?;
        doc.put_object(ROOT, "comments", ObjType::List)?;
        let events = doc.put_object(ROOT, "events", ObjType::List)?;
        append_event(&mut doc, &events, by_name, now, &EventKind::Created)?;
        let mut ticket = Self { doc };
        ticket.commit(now);
        Ok(ticket)
    }

    /// Wraps a document loaded from storage or received from a peer, checking that it is a ticket
    /// and bringing an older schema up to date (see [`super::migrate`]).
    pub fn from_automerge(mut doc: AutoCommit) -> Result<Self, StoreError> {
        check_header(&doc, KIND, SCHEMA)?;
        migrate(&mut doc, KIND, MIGRATIONS)?;
        Ok(Self { doc })
    }

    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Reads the whole ticket.
    pub fn read(&self) -> Result<Ticket, StoreError> {
        read_ticket(&self.doc)
    }

    pub fn status(&self) -> Result<Status, StoreError> {
        parsed_at(&self.doc, &ROOT, "status", Status::parse)
    }

    /// Moves the ticket along its workflow, recording who did it and when.
    pub fn change_status(
        &mut self,
        to: Status,
        by: &str,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let from = self.status()?;
        check_transition(from, to)?;
        self.doc.put(ROOT, "status", to.as_str())?;
        let events = obj_at(&self.doc, &ROOT, "events")?;
        append_event(
            &mut self.doc,
            &events,
            by,
            now,
            &EventKind::StatusChanged { from, to },
        )?;
        self.commit(now);
        Ok(())
    }

    /// Links a knowledge-base article (by its title now), or unlinks it.
    pub fn link_article(
        &mut self,
        article: DocumentId,
        title: &str,
        linked: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = format!("{LINK_PREFIX}{article}");
        if linked {
            self.doc.put(ROOT, key, title)?;
        } else if self.doc.get(ROOT, &key)?.is_some() {
            self.doc.delete(ROOT, key)?;
        }
        self.commit(now);
        Ok(())
    }

    /// Adds a public reply or an internal note; the people it mentions (by email) follow the
    /// ticket from then on.
    pub fn add_comment(
        &mut self,
        body: &str,
        visibility: Visibility,
        mentions: &[String],
        by: &str,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let body = validate_comment(body)?;
        let comments = obj_at(&self.doc, &ROOT, "comments")?;
        let comment = push_map(&mut self.doc, &comments)?;
        self.doc
            .put(&comment, "at", ScalarValue::Timestamp(now.0))?;
        self.doc.put(&comment, "by", by)?;
        self.doc.put(&comment, "body", body)?;
        self.doc.put(&comment, "visibility", visibility.as_str())?;
        if !mentions.is_empty() {
            let list =
                serde_json::to_string(mentions).map_err(|_| StoreError::Invalid("mentions"))?;
            self.doc.put(&comment, "mentions", list)?;
            self.add_watchers(mentions)?;
        }
        let events = obj_at(&self.doc, &ROOT, "events")?;
        append_event(
            &mut self.doc,
            &events,
            by,
            now,
            &EventKind::Commented { visibility },
        )?;
        self.commit(now);
        Ok(())
    }

    /// Changes priority, serving department and category, recording one event per field that changed.
    pub fn reclassify(
        &mut self,
        change: &Reclassification,
        by: &str,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let events = change.events_for(&self.read()?)?;
        if events.is_empty() {
            return Ok(());
        }
        let list = obj_at(&self.doc, &ROOT, "events")?;
        for event in &events {
            match event {
                EventKind::PriorityChanged { to, .. } => {
                    self.doc.put(ROOT, "priority", to.as_str())?
                }
                EventKind::Reassigned { to, .. } => {
                    self.doc.put(ROOT, "department", to.as_str())?
                }
                EventKind::CategoryChanged { to, .. } => {
                    self.doc.put(ROOT, "category", to.as_str())?
                }
                _ => {}
            }
            append_event(&mut self.doc, &list, by, now, event)?;
        }
        self.commit(now);
        Ok(())
    }

    /// Records the requester's rating; refused when it is not theirs to give or was given already.
    pub fn rate(
        &mut self,
        score: i64,
        comment: &str,
        rater: (&str, bool),
        now: Timestamp,
    ) -> Result<Rating, TicketChangeError> {
        let (by, is_requester) = rater;
        let ticket = self.read()?;
        let score = check_rating(
            ticket.status,
            &ticket.feedback,
            is_requester,
            score,
            comment,
        )?;
        let rating = Rating {
            score,
            comment: comment.trim().to_string(),
            by: by.to_string(),
            at: now,
        };
        // One map, put whole: should two devices rate offline, the merge keeps one rating.
        let map = self.doc.put_object(ROOT, "rating", ObjType::Map)?;
        self.doc.put(&map, "score", i64::from(rating.score))?;
        self.doc.put(&map, "comment", rating.comment.as_str())?;
        self.doc.put(&map, "by", by)?;
        self.doc.put(&map, "at", ScalarValue::Timestamp(now.0))?;
        self.commit(now);
        Ok(rating)
    }

    /// Notes that the requester was asked to rate (or reminded); the first time counts.
    pub fn note_rating_request(
        &mut self,
        reminder: bool,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let key = if reminder {
            "rating_reminded_at"
        } else {
            "rating_asked_at"
        };
        if int_at(&self.doc, &ROOT, key).is_err() {
            self.doc.put(ROOT, key, ScalarValue::Timestamp(now.0))?;
            self.commit(now);
        }
        Ok(())
    }

    /// Gives the ticket to a person of the serving team (by email; empty: to nobody).
    pub fn assign(&mut self, to: &str, by: &str, now: Timestamp) -> Result<(), TicketChangeError> {
        let from = self.read()?.assignee;
        if from == to {
            return Ok(());
        }
        let events = obj_at(&self.doc, &ROOT, "events")?;
        let kind = EventKind::Assigned {
            from,
            to: to.to_string(),
        };
        append_event(&mut self.doc, &events, by, now, &kind)?;
        self.commit(now);
        Ok(())
    }

    /// Adds people (by email) who follow the ticket; the relay lets them read it.
    fn add_watchers(&mut self, emails: &[String]) -> Result<(), StoreError> {
        let followers = obj_at(&self.doc, &ROOT, FOLLOWERS)?;
        let present = watchers(&self.doc);
        for email in emails
            .iter()
            .filter(|e| !e.is_empty() && !present.contains(e))
        {
            self.doc.put(&followers, email.as_str(), true)?;
        }
        Ok(())
    }

    /// Asks for approval: the planned steps, whose approvers follow the ticket from now on.
    /// One value, put whole: two devices planning the same approval offline merge into one.
    pub fn request_approval(&mut self, approval: &Approval) -> Result<(), StoreError> {
        let mut plan = approval.clone();
        plan.decisions.clear();
        self.doc.put(ROOT, "approval", to_json(&plan)?)?;
        let approvers: Vec<String> = plan.steps.iter().map(|s| s.email.clone()).collect();
        self.add_watchers(&approvers)?;
        self.commit(plan.requested_at);
        Ok(())
    }

    /// Records a decision on a step (each step's decision is one value: the last one wins).
    pub fn decide(&mut self, step: usize, decision: &Decision) -> Result<(), StoreError> {
        self.doc
            .put(ROOT, format!("{DECISION_PREFIX}{step}"), to_json(decision)?)?;
        self.commit(decision.at);
        Ok(())
    }

    /// Notes that a person (by email, or name) has read everything up to `now`.
    pub fn mark_seen(&mut self, who: &str, now: Timestamp) -> Result<(), StoreError> {
        self.doc.put(
            ROOT,
            format!("{SEEN_PREFIX}{who}"),
            ScalarValue::Timestamp(now.0),
        )?;
        self.commit(now);
        Ok(())
    }

    /// Records what a rule's firing did, under its firing key, and writes the plain fields it set.
    /// Replies and assignments live in the record alone, so a firing two devices both made
    /// counts once after the merge.
    pub fn record_firing(&mut self, key: &str, record: &FiringRecord) -> Result<(), StoreError> {
        for effect in &record.effects {
            match effect {
                Effect::Priority { to, .. } => self.doc.put(ROOT, "priority", to.as_str())?,
                Effect::Queue { to, .. } => self.doc.put(ROOT, "department", to.as_str())?,
                Effect::Status { to, .. } => self.doc.put(ROOT, "status", to.as_str())?,
                Effect::Field { key, value } => {
                    if let Ok(answers) = obj_at(&self.doc, &ROOT, "answers") {
                        self.doc.put(&answers, key.as_str(), value.as_str())?;
                    }
                }
                Effect::Watcher { email } | Effect::Notify { email } => {
                    self.add_watchers(std::slice::from_ref(email))?
                }
                _ => {}
            }
        }
        self.doc
            .put(ROOT, format!("{FIRED_PREFIX}{key}"), to_json(record)?)?;
        self.commit(record.at);
        Ok(())
    }

    fn commit(&mut self, now: Timestamp) {
        let options = automerge::transaction::CommitOptions::default().with_time(now.0 / 1000);
        self.doc.commit_with(options);
    }
}

/// Reads a whole ticket from any Automerge document (the relay holds plain `Automerge` documents).
pub fn read_ticket(d: &impl ReadDoc) -> Result<Ticket, StoreError> {
    check_header(d, KIND, SCHEMA)?;
    let id_text = str_at(d, &ROOT, "id")?;
    Ok(Ticket {
        id: id_text.parse().map_err(|_| StoreError::Invalid("id"))?,
        title: str_at(d, &ROOT, "title")?,
        description: str_at(d, &ROOT, "description")?,
        requester: str_at(d, &ROOT, "requester")?,
        requester_email: str_at(d, &ROOT, "requester_email").unwrap_or_default(),
        customer_department: str_at(d, &ROOT, "customer_department").unwrap_or_default(),
        department: str_at(d, &ROOT, "department")?,
        category: str_at(d, &ROOT, "category")?,
        service: str_at(d, &ROOT, "service").unwrap_or_default(),
        answers: answers(d),
        priority: parsed_at(d, &ROOT, "priority", crate::domain::Priority::parse)?,
        status: parsed_at(d, &ROOT, "status", Status::parse)?,
        created_at: Timestamp(int_at(d, &ROOT, "created_at")?),
        created_by: str_at(d, &ROOT, "created_by")?,
        comments: comments(d)?,
        events: events(d)?,
        feedback: feedback(d),
        follow_up_of: str_at(d, &ROOT, "follow_up_of")
            .ok()
            .and_then(|id| id.parse().ok()),
        self_help: SelfHelp {
            solved_by: str_at(d, &ROOT, "solved_by")
                .ok()
                .and_then(|id| id.parse().ok()),
            suggested: int_at(d, &ROOT, "suggested")
                .ok()
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0),
        },
        articles: linked_articles(d),
        assignee: String::new(),
        watchers: watchers(d),
        approval: approval(d),
        seen: prefixed(d, SEEN_PREFIX)
            .filter_map(|(who, value)| match value {
                automerge::ValueRef::Scalar(automerge::ScalarValueRef::Timestamp(at)) => {
                    Some((who, Timestamp(at)))
                }
                _ => None,
            })
            .collect(),
        fired: json_entries(d, FIRED_PREFIX),
    }
    .with_automation())
}

const DECISION_PREFIX: &str = "decision:";
const SEEN_PREFIX: &str = "seen:";
const FIRED_PREFIX: &str = "fired:";

fn to_json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::Invalid("json"))
}

/// The root keys that start with `prefix`, without it, and their values.
fn prefixed<'a, D: ReadDoc>(
    d: &'a D,
    prefix: &'static str,
) -> impl Iterator<Item = (String, automerge::ValueRef<'a>)> + 'a {
    d.map_range(&ROOT, prefix.to_string()..)
        .take_while(move |item| item.key.starts_with(prefix))
        .map(move |item| (item.key[prefix.len()..].to_string(), item.value))
}

/// The JSON values under keys with `prefix`, by the rest of the key; damaged ones are skipped.
fn json_entries<T: serde::de::DeserializeOwned>(
    d: &impl ReadDoc,
    prefix: &'static str,
) -> std::collections::BTreeMap<String, T> {
    prefixed(d, prefix)
        .filter_map(|(key, value)| match value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(json)) => {
                Some((key, serde_json::from_str(&json).ok()?))
            }
            _ => None,
        })
        .collect()
}

/// The emails of the people following a ticket: the `followers` map's keys, and the `watchers`
/// list of schema 1.
pub fn watchers(d: &impl ReadDoc) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Ok(list) = obj_at(d, &ROOT, "watchers") {
        out.extend(
            (0..d.length(&list)).filter_map(|i| match d.get(&list, i).ok().flatten() {
                Some((automerge::Value::Scalar(s), _)) => s.as_str().map(str::to_string),
                _ => None,
            }),
        );
    }
    if let Ok(map) = obj_at(d, &ROOT, FOLLOWERS) {
        out.extend(d.keys(&map));
    }
    out.sort();
    out.dedup();
    out
}

fn approval(d: &impl ReadDoc) -> Option<Approval> {
    let json = str_at(d, &ROOT, "approval").ok()?;
    let mut approval: Approval = serde_json::from_str(&json).ok()?;
    approval.decisions = json_entries::<Decision>(d, DECISION_PREFIX)
        .into_iter()
        .filter_map(|(step, decision)| Some((step.parse().ok()?, decision)))
        .filter(|(step, _)| *step < approval.steps.len())
        .collect();
    Some(approval)
}

/// Each linked article is its own key at the root (`article:<id>` → its title), so links made on
/// two devices offline never collide in one list.
const LINK_PREFIX: &str = "article:";

fn linked_articles(d: &impl ReadDoc) -> Vec<(DocumentId, String)> {
    d.map_range(&ROOT, LINK_PREFIX.to_string()..)
        .take_while(|item| item.key.starts_with(LINK_PREFIX))
        .filter_map(|item| {
            let id = item.key[LINK_PREFIX.len()..].parse().ok()?;
            match item.value {
                automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(title)) => {
                    Some((id, title.to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

/// The rating request and rating; a damaged rating reads as none rather than hiding the ticket.
fn feedback(d: &impl ReadDoc) -> Feedback {
    let rating = obj_at(d, &ROOT, "rating").ok().and_then(|map| {
        Some(Rating {
            score: u8::try_from(int_at(d, &map, "score").ok()?).ok()?,
            comment: str_at(d, &map, "comment").unwrap_or_default(),
            by: str_at(d, &map, "by").unwrap_or_default(),
            at: Timestamp(int_at(d, &map, "at").ok()?),
        })
    });
    Feedback {
        asked_at: int_at(d, &ROOT, "rating_asked_at").ok().map(Timestamp),
        reminded_at: int_at(d, &ROOT, "rating_reminded_at").ok().map(Timestamp),
        rating,
    }
}

/// The answers to a service's form; absent on tickets filed without a service.
fn answers(d: &impl ReadDoc) -> std::collections::BTreeMap<String, String> {
    let Ok(map) = obj_at(d, &ROOT, "answers") else {
        return Default::default();
    };
    d.map_range(&map, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(v)) => {
                Some((item.key.to_string(), v.to_string()))
            }
            _ => None,
        })
        .collect()
}

fn comments(d: &impl ReadDoc) -> Result<Vec<Comment>, StoreError> {
    let list = obj_at(d, &ROOT, "comments")?;
    (0..d.length(&list))
        .map(|i| {
            let c = list_map(d, &list, i, "comments")?;
            Ok(Comment {
                at: Timestamp(int_at(d, &c, "at")?),
                by: str_at(d, &c, "by")?,
                body: str_at(d, &c, "body")?,
                visibility: parsed_at(d, &c, "visibility", Visibility::parse)?,
                mentions: str_at(d, &c, "mentions")
                    .ok()
                    .and_then(|json| serde_json::from_str(&json).ok())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

fn events(d: &impl ReadDoc) -> Result<Vec<TicketEvent>, StoreError> {
    let list = obj_at(d, &ROOT, "events")?;
    let mut events = (0..d.length(&list))
        .map(|i| read_event(d, &list_map(d, &list, i, "events")?))
        .collect::<Result<Vec<_>, _>>()?;
    // Events made offline on two devices interleave by time once merged.
    events.sort_by_key(|e| e.at);
    Ok(events)
}

fn list_map(
    doc: &impl ReadDoc,
    list: &ObjId,
    index: usize,
    name: &'static str,
) -> Result<ObjId, StoreError> {
    match doc.get(list, index)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(StoreError::Invalid(name)),
    }
}

fn append_event(
    doc: &mut AutoCommit,
    events: &ObjId,
    by: &str,
    at: Timestamp,
    kind: &EventKind,
) -> Result<(), StoreError> {
    let event = push_map(doc, events)?;
    doc.put(&event, "at", ScalarValue::Timestamp(at.0))?;
    doc.put(&event, "by", by)?;
    match kind {
        EventKind::Created => doc.put(&event, "kind", "created")?,
        EventKind::StatusChanged { from, to } => {
            doc.put(&event, "kind", "status_changed")?;
            doc.put(&event, "from", from.as_str())?;
            doc.put(&event, "to", to.as_str())?;
        }
        EventKind::Commented { visibility } => {
            doc.put(&event, "kind", "commented")?;
            doc.put(&event, "visibility", visibility.as_str())?;
        }
        EventKind::PriorityChanged { from, to } => {
            doc.put(&event, "kind", "priority_changed")?;
            doc.put(&event, "from", from.as_str())?;
            doc.put(&event, "to", to.as_str())?;
        }
        EventKind::Reassigned { from, to } => {
            doc.put(&event, "kind", "reassigned")?;
            doc.put(&event, "from", from.as_str())?;
            doc.put(&event, "to", to.as_str())?;
        }
        EventKind::CategoryChanged { from, to } => {
            doc.put(&event, "kind", "category_changed")?;
            doc.put(&event, "from", from.as_str())?;
            doc.put(&event, "to", to.as_str())?;
        }
        EventKind::Assigned { from, to } => {
            doc.put(&event, "kind", "assigned")?;
            doc.put(&event, "from", from.as_str())?;
            doc.put(&event, "to", to.as_str())?;
        }
    }
    Ok(())
}

fn read_event(d: &impl ReadDoc, e: &ObjId) -> Result<TicketEvent, StoreError> {
    let kind = match str_at(d, e, "kind")?.as_str() {
        "created" => EventKind::Created,
        "status_changed" => EventKind::StatusChanged {
            from: parsed_at(d, e, "from", Status::parse)?,
            to: parsed_at(d, e, "to", Status::parse)?,
        },
        "commented" => EventKind::Commented {
            visibility: parsed_at(d, e, "visibility", Visibility::parse)?,
        },
        "priority_changed" => EventKind::PriorityChanged {
            from: parsed_at(d, e, "from", crate::domain::Priority::parse)?,
            to: parsed_at(d, e, "to", crate::domain::Priority::parse)?,
        },
        "reassigned" => EventKind::Reassigned {
            from: str_at(d, e, "from")?,
            to: str_at(d, e, "to")?,
        },
        "category_changed" => EventKind::CategoryChanged {
            from: str_at(d, e, "from")?,
            to: str_at(d, e, "to")?,
        },
        "assigned" => EventKind::Assigned {
            from: str_at(d, e, "from")?,
            to: str_at(d, e, "to")?,
        },
        _ => return Err(StoreError::Invalid("kind")),
    };
    Ok(TicketEvent {
        at: Timestamp(int_at(d, e, "at")?),
        by: str_at(d, e, "by")?,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Priority;

    fn draft() -> TicketDraft {
        TicketDraft {
            title: "报销系统登录失败".into(),
            description: "Error 500 since this morning".into(),
            requester: "王芳".into(),
            department: "IT".into(),
            category: "Access".into(),
            priority: Priority::High,
            ..Default::default()
        }
    }

    fn new_ticket() -> TicketDoc {
        TicketDoc::create(
            DocumentId::from_bytes([3; 16]),
            &draft(),
            &Profile::new("王芳", "财务部").unwrap(),
            Timestamp(1_000),
        )
        .unwrap()
    }

    #[test]
    fn a_new_ticket_reads_back_what_was_filed() {
        let t = new_ticket().read().unwrap();
        assert_eq!(t.title, "报销系统登录失败");
        assert_eq!(t.description, "Error 500 since this morning");
        assert_eq!((t.status, t.priority), (Status::New, Priority::High));
        assert_eq!(
            t.events,
            vec![TicketEvent {
                at: Timestamp(1_000),
                by: "王芳".into(),
                kind: EventKind::Created
            }]
        );
    }

    #[test]
    fn survives_a_round_trip_through_bytes() {
        let mut doc = new_ticket();
        doc.change_status(Status::InProgress, "Li Lei", Timestamp(2_000))
            .unwrap();
        doc.add_comment(
            "Looking into it",
            Visibility::Public,
            &[],
            "Li Lei",
            Timestamp(3_000),
        )
        .unwrap();
        doc.add_comment(
            "DB pool exhausted",
            Visibility::Internal,
            &[],
            "Li Lei",
            Timestamp(4_000),
        )
        .unwrap();
        let bytes = doc.automerge_mut().save();
        let loaded = TicketDoc::from_automerge(AutoCommit::load(&bytes).unwrap()).unwrap();
        let t = loaded.read().unwrap();
        assert_eq!(t, doc.read().unwrap());
        assert_eq!(t.comments.len(), 2);
        assert_eq!(t.comments[1].visibility, Visibility::Internal);
        assert_eq!(t.events.len(), 4);
        assert_eq!(t.updated_at(), Timestamp(4_000));
    }

    #[test]
    fn refuses_a_transition_the_workflow_forbids() {
        let mut doc = new_ticket();
        let err = doc
            .change_status(Status::Closed, "x", Timestamp(2))
            .unwrap_err();
        assert!(matches!(err, TicketChangeError::Transition(_)));
        assert_eq!(
            doc.read().unwrap().events.len(),
            1,
            "a refused change records nothing"
        );
    }

    #[test]
    fn reopen_after_close() {
        let mut doc = new_ticket();
        doc.change_status(Status::Resolved, "a", Timestamp(2))
            .unwrap();
        doc.change_status(Status::Closed, "a", Timestamp(3))
            .unwrap();
        doc.change_status(Status::InProgress, "b", Timestamp(4))
            .unwrap();
        assert_eq!(doc.status().unwrap(), Status::InProgress);
    }

    #[test]
    fn reclassify_moves_the_ticket_and_explains_it_in_the_history() {
        let mut doc = new_ticket();
        let change = Reclassification {
            priority: Priority::Urgent,
            department: "财务部".into(),
            category: "Access".into(),
        };
        doc.reclassify(&change, "Li Lei", Timestamp(5_000)).unwrap();
        let bytes = doc.automerge_mut().save();
        let t = TicketDoc::from_automerge(AutoCommit::load(&bytes).unwrap())
            .unwrap()
            .read()
            .unwrap();
        assert_eq!(
            (t.priority, t.department.as_str()),
            (Priority::Urgent, "财务部")
        );
        assert_eq!(
            t.events[1..]
                .iter()
                .map(|e| e.kind.clone())
                .collect::<Vec<_>>(),
            vec![
                EventKind::PriorityChanged {
                    from: Priority::High,
                    to: Priority::Urgent
                },
                EventKind::Reassigned {
                    from: "IT".into(),
                    to: "财务部".into()
                },
            ]
        );
        doc.reclassify(&change, "Li Lei", Timestamp(6_000)).unwrap();
        assert_eq!(
            doc.read().unwrap().events.len(),
            3,
            "an unchanged form records nothing"
        );
    }

    #[test]
    fn empty_comment_is_refused() {
        let mut doc = new_ticket();
        assert!(matches!(
            doc.add_comment("  ", Visibility::Public, &[], "a", Timestamp(2)),
            Err(TicketChangeError::Comment(CommentError::Empty))
        ));
    }

    #[test]
    fn a_rating_given_offline_on_two_devices_merges_to_one_and_a_third_is_refused() {
        let mut here = new_ticket();
        here.change_status(Status::InProgress, "agent", Timestamp(2_000))
            .unwrap();
        here.change_status(Status::Resolved, "agent", Timestamp(3_000))
            .unwrap();
        let mut there = TicketDoc {
            doc: here.doc.fork(),
        };
        here.note_rating_request(false, Timestamp(4_000)).unwrap();
        here.note_rating_request(false, Timestamp(9_000)).unwrap();
        assert_eq!(
            here.read().unwrap().feedback.asked_at,
            Some(Timestamp(4_000))
        );
        here.rate(2, "慢", ("王芳", true), Timestamp(5_000))
            .unwrap();
        there.rate(5, "", ("王芳", true), Timestamp(6_000)).unwrap();
        here.automerge_mut().merge(there.automerge_mut()).unwrap();
        let rating = here.read().unwrap().feedback.rating.unwrap();
        assert!(rating.score == 2 || rating.score == 5);
        assert!(matches!(
            here.rate(3, "", ("王芳", true), Timestamp(7_000)),
            Err(TicketChangeError::Rating(RatingError::AlreadyRated))
        ));
        assert!(matches!(
            new_ticket().rate(9, "", ("王芳", true), Timestamp(7_000)),
            Err(TicketChangeError::Rating(RatingError::NotResolved))
        ));
    }

    #[test]
    fn offline_edits_on_two_devices_merge() {
        let mut here = new_ticket();
        let mut there = TicketDoc {
            doc: here.doc.fork(),
        };
        here.change_status(Status::InProgress, "agent", Timestamp(5_000))
            .unwrap();
        there
            .add_comment(
                "Any news?",
                Visibility::Public,
                &[],
                "王芳",
                Timestamp(4_000),
            )
            .unwrap();
        here.automerge_mut().merge(there.automerge_mut()).unwrap();
        let t = here.read().unwrap();
        assert_eq!(t.status, Status::InProgress);
        assert_eq!(t.comments.len(), 1);
        let times: Vec<_> = t.events.iter().map(|e| e.at.0).collect();
        assert_eq!(
            times,
            vec![1_000, 4_000, 5_000],
            "history is in time order after a merge"
        );
    }

    /// A ticket saved by the release before schema 2: in progress, one internal comment that
    /// mentions zhao@example.cn (then kept in the `watchers` list).
    fn saved_by_schema_1() -> AutoCommit {
        let bytes = include_bytes!("../../tests/fixtures/ticket-schema-1.automerge");
        AutoCommit::load(bytes).unwrap()
    }

    #[test]
    fn a_ticket_of_schema_1_is_migrated_deterministically_and_keeps_everything() {
        let mut old = saved_by_schema_1();
        assert_eq!(
            old.get(ROOT, "schema").unwrap().unwrap().0.as_i64(),
            Some(1)
        );
        let mut first = TicketDoc::from_automerge(old.fork()).unwrap();
        let mut second = TicketDoc::from_automerge(saved_by_schema_1()).unwrap();
        assert_eq!(
            first.automerge_mut().get_heads(),
            second.automerge_mut().get_heads(),
            "two devices make the same migration change"
        );
        let t = first.read().unwrap();
        assert_eq!(t.status, Status::InProgress);
        assert_eq!(t.comments.len(), 1);
        assert_eq!(t.watchers, vec!["zhao@example.cn".to_string()]);
        first
            .add_comment(
                "@sun",
                Visibility::Public,
                &["sun@example.cn".into()],
                "Li Lei",
                Timestamp(5_000),
            )
            .unwrap();
        let watching = first.read().unwrap().watchers;
        assert_eq!(
            watching,
            vec!["sun@example.cn".to_string(), "zhao@example.cn".to_string()]
        );
        let again = first.automerge_mut().get_heads();
        let mut reopened = TicketDoc::from_automerge(first.automerge().clone()).unwrap();
        assert_eq!(
            reopened.automerge_mut().get_heads(),
            again,
            "migrated once only"
        );
    }

    #[test]
    fn two_devices_migrating_the_same_ticket_offline_converge_without_conflict() {
        let mut laptop = TicketDoc::from_automerge(saved_by_schema_1()).unwrap();
        laptop
            .add_comment(
                "@孙",
                Visibility::Internal,
                &["sun@example.cn".into()],
                "Li Lei",
                Timestamp(5_000),
            )
            .unwrap();
        let mut phone = TicketDoc::from_automerge(saved_by_schema_1()).unwrap();
        phone
            .change_status(Status::Resolved, "赵敏", Timestamp(6_000))
            .unwrap();
        phone
            .add_comment(
                "@li",
                Visibility::Public,
                &["li@example.cn".into()],
                "赵敏",
                Timestamp(7_000),
            )
            .unwrap();
        let (a, b) = (laptop.automerge_mut(), phone.automerge_mut());
        let mut a_then_b = a.fork();
        a_then_b.merge(b).unwrap();
        let mut b_then_a = b.fork();
        b_then_a.merge(a).unwrap();
        assert_eq!(a_then_b.get_heads(), b_then_a.get_heads());
        for key in ["schema", FOLLOWERS] {
            assert_eq!(
                a_then_b.get_all(ROOT, key).unwrap().len(),
                1,
                "no conflict on {key}"
            );
        }
        let merged = TicketDoc::from_automerge(a_then_b).unwrap().read().unwrap();
        assert_eq!(merged.status, Status::Resolved);
        assert_eq!(merged.comments.len(), 3);
        assert_eq!(
            merged.watchers,
            ["li@example.cn", "sun@example.cn", "zhao@example.cn"]
                .map(String::from)
                .to_vec()
        );
    }

    #[test]
    fn newer_schema_and_wrong_kind_are_refused() {
        let mut doc = new_ticket();
        doc.doc.put(ROOT, "schema", SCHEMA + 1).unwrap();
        assert!(matches!(
            TicketDoc::from_automerge(doc.doc.clone()),
            Err(StoreError::NewerSchema(n)) if n == SCHEMA + 1
        ));
        doc.doc.put(ROOT, "kind", "desk").unwrap();
        assert!(matches!(
            TicketDoc::from_automerge(doc.doc),
            Err(StoreError::WrongKind { .. })
        ));
    }
}
