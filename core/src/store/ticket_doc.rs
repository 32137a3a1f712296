//! A ticket's documents: its request (the document named by the ticket's id) and the parts kept
//! beside it by who writes them (see [`super::ticket_parts`]), read together as one [`Ticket`].
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
use super::ticket_parts::{self, claimed_part, part_id, Part};
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
use std::collections::{BTreeMap, BTreeSet};

pub(crate) const KIND: &str = "ticket";
/// 2: people following the ticket are the keys of a `followers` map (schema 1 kept a `watchers`
/// list, where two devices adding the same person made two entries); the list is still read.
/// 3: the request holds only what its requester owns, their replies in `conversation` and their
/// events in `history`; what the team, its internal notes and each follower own live in the
/// ticket's parts. Fields an older schema kept here are no longer read (the relay moved them into
/// the parts when it took the ticket up under schema 3).
const SCHEMA: i64 = 3;
const MIGRATIONS: &[Step] = &[
    Step {
        to: 2,
        apply: |doc| {
            if doc.get(ROOT, FOLLOWERS)?.is_none() {
                doc.put_object(ROOT, FOLLOWERS, ObjType::Map)?;
            }
            Ok(())
        },
    },
    Step {
        to: 3,
        apply: |doc| {
            doc.put_object(ROOT, CONVERSATION, ObjType::List)?;
            doc.put_object(ROOT, HISTORY, ObjType::List)?;
            Ok(())
        },
    },
];
const FOLLOWERS: &str = "followers";
/// The requester's replies, in the request.
const CONVERSATION: &str = "conversation";
/// The requester's events (filing, replying), in the request.
const HISTORY: &str = "history";
/// Replies and notes, in a part.
const COMMENTS: &str = "comments";
/// Events, in a part.
const EVENTS: &str = "events";

/// Whose side of a ticket a change is made on: it decides which document takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// The requester (or filer): the request.
    Requester,
    /// The serving team: the team part (internal notes: the staff part).
    Team,
    /// A follower, by email: their own part.
    Follower(String),
}

/// A ticket's documents that this device holds.
#[derive(Debug, Clone)]
pub struct TicketDoc {
    id: DocumentId,
    doc: AutoCommit,
    parts: BTreeMap<DocumentId, (Part, AutoCommit)>,
    /// Documents of the family changed here since [`TicketDoc::take_touched`] was last called.
    touched: BTreeSet<DocumentId>,
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
    /// Creates the request of a new ticket from a draft that passed [`TicketDraft::validate`].
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
        // The serving department, category and priority asked for; the team's part has the say
        // from then on.
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
        doc.put(ROOT, "created_at", ScalarValue::Timestamp(now.0))?;
        doc.put(ROOT, "created_by", by_name)?;
        // Who filed it, as the page shows it; the relay records the requester itself.
        if let Some(account) = &by.account {
            doc.put(ROOT, "requester_id", account.person.0.as_str())?;
        }
        doc.put_object(ROOT, FOLLOWERS, ObjType::Map)?;
        doc.put_object(ROOT, CONVERSATION, ObjType::List)?;
        let history = doc.put_object(ROOT, HISTORY, ObjType::List)?;
        append_event(&mut doc, &history, by_name, now, &EventKind::Created)?;
        commit(&mut doc, now);
        let mut ticket = Self::wrap(id, doc);
        // Filing is a change like any other: stored and offered to sync.
        ticket.touched.insert(id);
        Ok(ticket)
    }

    fn wrap(id: DocumentId, doc: AutoCommit) -> Self {
        Self {
            id,
            doc,
            parts: BTreeMap::new(),
            touched: BTreeSet::new(),
        }
    }

    /// Wraps a request loaded from storage or received from a peer, checking that it is a ticket
    /// and bringing an older schema up to date (see [`super::migrate`]).
    pub fn from_automerge(mut doc: AutoCommit) -> Result<Self, StoreError> {
        check_header(&doc, KIND, SCHEMA)?;
        migrate(&mut doc, KIND, MIGRATIONS)?;
        let id = str_at(&doc, &ROOT, "id")?
            .parse()
            .map_err(|_| StoreError::Invalid("id"))?;
        Ok(Self::wrap(id, doc))
    }

    pub fn id(&self) -> DocumentId {
        self.id
    }

    /// The request.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// Takes in a part that arrived or was loaded; false if it is not one of this ticket's.
    pub fn attach(&mut self, id: DocumentId, doc: AutoCommit) -> bool {
        match claimed_part(&doc, id) {
            Some((ticket, part)) if ticket == self.id => {
                self.parts.insert(id, (part, doc));
                true
            }
            _ => false,
        }
    }

    /// Any document of the family this device holds, by its id.
    pub fn doc_mut(&mut self, id: DocumentId) -> Option<&mut AutoCommit> {
        if id == self.id {
            return Some(&mut self.doc);
        }
        self.parts.get_mut(&id).map(|(_, doc)| doc)
    }

    /// The parts held, by id.
    pub fn parts(&self) -> impl Iterator<Item = (DocumentId, &Part, &AutoCommit)> {
        self.parts.iter().map(|(id, (part, doc))| (*id, part, doc))
    }

    /// The parts everyone on the ticket reads (the team's, and each follower's), and with
    /// `staff` the staff part too: what a device keeps in step besides the request.
    pub fn readable_parts(&self, staff: bool) -> Vec<DocumentId> {
        let mut people: BTreeSet<String> = watchers(&self.doc).into_iter().collect();
        let ticket = self.read().ok();
        if let Some(ticket) = &ticket {
            people.extend(ticket.watchers.iter().cloned());
            if let Some(approval) = &ticket.approval {
                people.extend(approval.steps.iter().map(|s| s.email.clone()));
            }
        }
        let mut wanted = vec![part_id(self.id, &Part::Team)];
        if staff {
            wanted.push(part_id(self.id, &Part::Staff));
        }
        let unnamed_step = ticket
            .as_ref()
            .and_then(|t| t.approval.as_ref())
            .is_some_and(|a| a.steps.iter().any(|s| s.email.trim().is_empty()));
        if unnamed_step {
            wanted.push(part_id(self.id, &Part::Admins));
        }
        wanted.extend(
            people
                .into_iter()
                .filter(|e| !e.is_empty())
                .map(|email| part_id(self.id, &Part::Person(email))),
        );
        wanted
    }

    /// The same documents as another device would hold them (each under an actor of its own).
    pub fn fork(&mut self) -> Self {
        Self {
            id: self.id,
            doc: self.doc.fork(),
            parts: self
                .parts
                .iter_mut()
                .map(|(id, (part, doc))| (*id, (part.clone(), doc.fork())))
                .collect(),
            touched: BTreeSet::new(),
        }
    }

    /// Takes in everything another copy of the ticket holds, part by part.
    pub fn merge(&mut self, other: &mut TicketDoc) -> Result<(), StoreError> {
        self.doc.merge(&mut other.doc)?;
        for (id, (part, doc)) in &mut other.parts {
            match self.parts.get_mut(id) {
                Some((_, mine)) => {
                    mine.merge(doc)?;
                }
                None => {
                    self.parts.insert(*id, (part.clone(), doc.fork()));
                }
            }
        }
        Ok(())
    }

    /// The documents of the family changed here since the last call.
    pub fn take_touched(&mut self) -> Vec<DocumentId> {
        std::mem::take(&mut self.touched).into_iter().collect()
    }

    /// Reads the whole ticket, from every document of it held here.
    pub fn read(&self) -> Result<Ticket, StoreError> {
        let parts: Vec<(&Part, &AutoCommit)> = self.parts.values().map(|(p, d)| (p, d)).collect();
        read_family(&self.doc, &parts)
    }

    pub fn status(&self) -> Result<Status, StoreError> {
        Ok(self.read()?.status)
    }

    /// The document for one side's changes (made here if it is not held yet: its first change is
    /// the same on every device).
    fn part(&mut self, part: Part) -> Result<&mut AutoCommit, StoreError> {
        let id = part_id(self.id, &part);
        if !self.parts.contains_key(&id) {
            let (made, doc) = ticket_parts::genesis(self.id, &part)?;
            debug_assert_eq!(made, id);
            self.parts.insert(id, (part, doc));
        }
        self.touched.insert(id);
        Ok(&mut self.parts.get_mut(&id).expect("inserted above").1)
    }

    fn request(&mut self) -> &mut AutoCommit {
        self.touched.insert(self.id);
        &mut self.doc
    }

    /// Where a side's public replies, events, followers and read markers go.
    fn side(
        &mut self,
        side: &Side,
    ) -> Result<(&mut AutoCommit, &'static str, &'static str), StoreError> {
        Ok(match side {
            Side::Requester => (self.request(), CONVERSATION, HISTORY),
            Side::Team => (self.part(Part::Team)?, COMMENTS, EVENTS),
            Side::Follower(email) => (self.part(Part::Person(email.clone()))?, COMMENTS, EVENTS),
        })
    }

    /// The requester marks their own request resolved before anyone served it (an article
    /// answered it); from then on the team's part has the say.
    pub fn resolve_own(&mut self, by: &str, now: Timestamp) -> Result<(), TicketChangeError> {
        check_transition(self.status()?, Status::Resolved)?;
        if self.status()? != Status::New {
            return Err(TransitionError {
                from: self.status()?,
                to: Status::Resolved,
            }
            .into());
        }
        let doc = self.request();
        doc.put(ROOT, SELF_RESOLVED, ScalarValue::Timestamp(now.0))?;
        let history = obj_at(doc, &ROOT, HISTORY)?;
        let kind = EventKind::StatusChanged {
            from: Status::New,
            to: Status::Resolved,
        };
        append_event(doc, &history, by, now, &kind)?;
        commit(doc, now);
        Ok(())
    }

    /// Moves the ticket along its workflow, recording who did it and when (the team's to do).
    pub fn change_status(
        &mut self,
        to: Status,
        by: &str,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let from = self.status()?;
        check_transition(from, to)?;
        let team = self.part(Part::Team)?;
        team.put(ROOT, "status", to.as_str())?;
        let events = obj_at(team, &ROOT, EVENTS)?;
        append_event(
            team,
            &events,
            by,
            now,
            &EventKind::StatusChanged { from, to },
        )?;
        commit(team, now);
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
        let team = self.part(Part::Team)?;
        if linked {
            team.put(ROOT, key, title)?;
        } else if team.get(ROOT, &key)?.is_some() {
            team.delete(ROOT, key)?;
        }
        commit(team, now);
        Ok(())
    }

    /// Adds a reply on `side`, or an internal note (the staff part's); the people it mentions (by
    /// email) follow the ticket from then on, as far as that side may add followers.
    pub fn add_comment(
        &mut self,
        body: &str,
        visibility: Visibility,
        mentions: &[String],
        by: (&str, &Side),
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let (by, side) = by;
        let body = validate_comment(body)?;
        let (doc, list, history) = match visibility {
            Visibility::Internal => (self.part(Part::Staff)?, COMMENTS, EVENTS),
            Visibility::Public => self.side(side)?,
        };
        let comments = obj_at(doc, &ROOT, list)?;
        let comment = push_map(doc, &comments)?;
        doc.put(&comment, "at", ScalarValue::Timestamp(now.0))?;
        doc.put(&comment, "by", by)?;
        doc.put(&comment, "body", body)?;
        doc.put(&comment, "visibility", visibility.as_str())?;
        if !mentions.is_empty() {
            let list =
                serde_json::to_string(mentions).map_err(|_| StoreError::Invalid("mentions"))?;
            doc.put(&comment, "mentions", list)?;
        }
        let events = obj_at(doc, &ROOT, history)?;
        append_event(doc, &events, by, now, &EventKind::Commented { visibility })?;
        commit(doc, now);
        if !mentions.is_empty() {
            // Followers are added where the relay takes them from: the requester's or the team's.
            let (doc, _, _) = match (visibility, side) {
                (Visibility::Internal, _) | (_, Side::Team) => self.side(&Side::Team)?,
                _ => self.side(side)?,
            };
            add_followers(doc, mentions)?;
            commit(doc, now);
        }
        Ok(())
    }

    /// Changes priority, serving department and category, recording one event per field that
    /// changed (the team's to do).
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
        let team = self.part(Part::Team)?;
        let list = obj_at(team, &ROOT, EVENTS)?;
        for event in &events {
            match event {
                EventKind::PriorityChanged { to, .. } => team.put(ROOT, "priority", to.as_str())?,
                EventKind::Reassigned { to, .. } => team.put(ROOT, "department", to.as_str())?,
                EventKind::CategoryChanged { to, .. } => team.put(ROOT, "category", to.as_str())?,
                _ => {}
            }
            append_event(team, &list, by, now, event)?;
        }
        commit(team, now);
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
        let doc = self.request();
        let map = doc.put_object(ROOT, "rating", ObjType::Map)?;
        doc.put(&map, "score", i64::from(rating.score))?;
        doc.put(&map, "comment", rating.comment.as_str())?;
        doc.put(&map, "by", by)?;
        doc.put(&map, "at", ScalarValue::Timestamp(now.0))?;
        commit(doc, now);
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
        // The requester's own page asks them: it lives in the request.
        if int_at(&self.doc, &ROOT, key).is_err() {
            let doc = self.request();
            doc.put(ROOT, key, ScalarValue::Timestamp(now.0))?;
            commit(doc, now);
        }
        Ok(())
    }

    /// Gives the ticket to a person of the serving team (by email; empty: to nobody).
    pub fn assign(&mut self, to: &str, by: &str, now: Timestamp) -> Result<(), TicketChangeError> {
        let from = self.read()?.assignee;
        if from == to {
            return Ok(());
        }
        let team = self.part(Part::Team)?;
        let events = obj_at(team, &ROOT, EVENTS)?;
        let kind = EventKind::Assigned {
            from,
            to: to.to_string(),
        };
        append_event(team, &events, by, now, &kind)?;
        commit(team, now);
        Ok(())
    }

    /// Asks for approval: the planned steps, whose approvers follow the ticket from now on.
    /// One value, put whole: two devices planning the same approval offline merge into one.
    pub fn request_approval(&mut self, approval: &Approval) -> Result<(), StoreError> {
        let mut plan = approval.clone();
        plan.decisions.clear();
        let team = self.part(Part::Team)?;
        team.put(ROOT, "approval", to_json(&plan)?)?;
        let approvers: Vec<String> = plan.steps.iter().map(|s| s.email.clone()).collect();
        add_followers(team, &approvers)?;
        commit(team, plan.requested_at);
        Ok(())
    }

    /// Records a decision on a step: the approver's in their own part (`approver`, by email); a
    /// rule's in the team's; an admin's on a step that names nobody (`approver` none) in the
    /// admins'. Each step's decision is one value: the last one wins.
    pub fn decide(
        &mut self,
        step: usize,
        decision: &Decision,
        approver: Option<&str>,
    ) -> Result<(), StoreError> {
        let doc = match approver {
            _ if decision.automatic => self.part(Part::Team)?,
            Some(email) => self.part(Part::Person(email.to_string()))?,
            None => self.part(Part::Admins)?,
        };
        doc.put(ROOT, format!("{DECISION_PREFIX}{step}"), to_json(decision)?)?;
        commit(doc, decision.at);
        Ok(())
    }

    /// Notes that a person (by email, or name) has read everything up to `now`, on their side.
    pub fn mark_seen(&mut self, who: &str, side: &Side, now: Timestamp) -> Result<(), StoreError> {
        let (doc, _, _) = self.side(side)?;
        doc.put(
            ROOT,
            format!("{SEEN_PREFIX}{who}"),
            ScalarValue::Timestamp(now.0),
        )?;
        commit(doc, now);
        Ok(())
    }

    /// Records what a rule's firing did, under its firing key, and writes the plain fields it set
    /// (rules act for the serving team). Replies and assignments live in the record alone, so a
    /// firing two devices both made counts once after the merge.
    pub fn record_firing(&mut self, key: &str, record: &FiringRecord) -> Result<(), StoreError> {
        let team = self.part(Part::Team)?;
        for effect in &record.effects {
            match effect {
                Effect::Priority { to, .. } => team.put(ROOT, "priority", to.as_str())?,
                Effect::Queue { to, .. } => team.put(ROOT, "department", to.as_str())?,
                Effect::Status { to, .. } => team.put(ROOT, "status", to.as_str())?,
                Effect::Field { key, value } => {
                    let answers = match obj_at(team, &ROOT, "answers") {
                        Ok(map) => map,
                        Err(_) => team.put_object(ROOT, "answers", ObjType::Map)?,
                    };
                    team.put(&answers, key.as_str(), value.as_str())?;
                }
                Effect::Watcher { email } | Effect::Notify { email } => {
                    add_followers(team, std::slice::from_ref(email))?
                }
                _ => {}
            }
        }
        team.put(ROOT, format!("{FIRED_PREFIX}{key}"), to_json(record)?)?;
        commit(team, record.at);
        Ok(())
    }
}

fn commit(doc: &mut AutoCommit, now: Timestamp) {
    let options = automerge::transaction::CommitOptions::default().with_time(now.0 / 1000);
    doc.commit_with(options);
}

/// Adds people (by email) who follow the ticket; the relay lets them read it as far as the
/// document's writers may add readers.
fn add_followers(doc: &mut AutoCommit, emails: &[String]) -> Result<(), StoreError> {
    let followers = obj_at(doc, &ROOT, FOLLOWERS)?;
    let present = watchers(doc);
    for email in emails
        .iter()
        .filter(|e| !e.is_empty() && !present.contains(e))
    {
        doc.put(&followers, email.as_str(), true)?;
    }
    Ok(())
}

/// Reads a whole ticket from its request and whichever of its parts are at hand (the relay holds
/// plain `Automerge` documents, the page `AutoCommit`s). Each field is read from the document
/// whose writers own it, so nothing written into the wrong document counts.
pub fn read_family<D: ReadDoc>(request: &D, parts: &[(&Part, &D)]) -> Result<Ticket, StoreError> {
    let d = request;
    check_header(d, KIND, SCHEMA)?;
    // A request the relay holds as an older schema kept it: whole, until the relay has moved
    // what it held into its parts (then they are read, as for any ticket).
    if int_at(d, &ROOT, "schema")? < SCHEMA && parts.is_empty() {
        return read_legacy(d);
    }
    let id_text = str_at(d, &ROOT, "id")?;
    let team = parts
        .iter()
        .find(|(p, _)| **p == Part::Team)
        .map(|(_, d)| *d);
    let admins = parts
        .iter()
        .find(|(p, _)| **p == Part::Admins)
        .map(|(_, d)| *d);
    let staff = parts
        .iter()
        .find(|(p, _)| **p == Part::Staff)
        .map(|(_, d)| *d);
    let people: Vec<(&str, &D)> = parts
        .iter()
        .filter_map(|(p, d)| Some((p.person()?, *d)))
        .collect();
    let team_str = |key: &'static str| team.and_then(|t| str_at(t, &ROOT, key).ok());
    let mut comments = only(comments_in(d, CONVERSATION)?, Visibility::Public);
    // The requester's history holds her filing, her replies and, while the team has not set a
    // status, her resolving it herself; anything else written there is not hers to record.
    let team_set_status = team_str("status").is_some();
    let mut events: Vec<TicketEvent> =
        only_events(events_in(d, HISTORY)?, Some(Visibility::Public))
            .into_iter()
            .filter(|e| match e.kind {
                EventKind::Created | EventKind::Commented { .. } => true,
                EventKind::StatusChanged { from, to } => {
                    !team_set_status && (from, to) == (Status::New, Status::Resolved)
                }
                _ => false,
            })
            .collect();
    if let Some(team) = team {
        comments.extend(only(comments_in(team, COMMENTS)?, Visibility::Public));
        events.extend(only_events(
            events_in(team, EVENTS)?,
            Some(Visibility::Public),
        ));
    }
    if let Some(staff) = staff {
        comments.extend(only(comments_in(staff, COMMENTS)?, Visibility::Internal));
        events.extend(
            only_events(events_in(staff, EVENTS)?, Some(Visibility::Internal))
                .into_iter()
                .filter(|e| matches!(e.kind, EventKind::Commented { .. })),
        );
    }
    for (_, person) in &people {
        comments.extend(only(comments_in(*person, COMMENTS)?, Visibility::Public));
        events.extend(
            only_events(events_in(*person, EVENTS)?, Some(Visibility::Public))
                .into_iter()
                .filter(|e| matches!(e.kind, EventKind::Commented { .. })),
        );
    }
    // Replies and events made on several documents (and devices) interleave by time.
    comments.sort_by_key(|c| c.at);
    events.sort_by_key(|e| e.at);
    let mut answers = answers(d);
    if let Some(team) = team {
        answers.extend(answers_of(team));
    }
    // Read markers: a follower's part speaks for that follower alone, and the team's part has
    // the last word for the team's.
    let mut seen = seen_in(d);
    for (email, person) in &people {
        let theirs = seen_in(*person)
            .into_iter()
            .filter(|(who, _)| who.eq_ignore_ascii_case(email));
        seen.extend(theirs);
    }
    let mut watchers = watchers(d);
    if let Some(team) = team {
        seen.extend(seen_in(team));
        watchers.extend(self::watchers(team));
        watchers.sort();
        watchers.dedup();
    }
    Ok(Ticket {
        id: id_text.parse().map_err(|_| StoreError::Invalid("id"))?,
        title: str_at(d, &ROOT, "title")?,
        description: str_at(d, &ROOT, "description")?,
        requester: str_at(d, &ROOT, "requester")?,
        requester_email: str_at(d, &ROOT, "requester_email").unwrap_or_default(),
        customer_department: str_at(d, &ROOT, "customer_department").unwrap_or_default(),
        department: team_str("department").map_or_else(|| str_at(d, &ROOT, "department"), Ok)?,
        category: team_str("category").map_or_else(|| str_at(d, &ROOT, "category"), Ok)?,
        service: str_at(d, &ROOT, "service").unwrap_or_default(),
        answers,
        priority: match team_str("priority")
            .as_deref()
            .and_then(crate::domain::Priority::parse)
        {
            Some(p) => p,
            None => parsed_at(d, &ROOT, "priority", crate::domain::Priority::parse)?,
        },
        status: match team_str("status").as_deref().and_then(Status::parse) {
            Some(status) => status,
            None if int_at(d, &ROOT, SELF_RESOLVED).is_ok() => Status::Resolved,
            None => Status::New,
        },
        created_at: Timestamp(int_at(d, &ROOT, "created_at")?),
        created_by: str_at(d, &ROOT, "created_by")?,
        filed_by: str_at(d, &ROOT, "requester_id").unwrap_or_default(),
        comments,
        events,
        feedback: feedback(d),
        follow_up_of: str_at(d, &ROOT, "follow_up_of")
            .ok()
            .and_then(|id| id.parse().ok()),
        self_help: self_help(d),
        articles: team.map(linked_articles).unwrap_or_default(),
        assignee: String::new(),
        watchers,
        approval: team.and_then(|team| approval(team, admins, &people)),
        seen,
        fired: team
            .map(|t| json_entries(t, FIRED_PREFIX))
            .unwrap_or_default(),
    }
    .with_automation())
}

/// What the team's part says of the queue serving a ticket, its priority and category (`None`
/// where it says nothing yet).
pub fn team_says(team: &impl ReadDoc, key: &'static str) -> Option<String> {
    str_at(team, &ROOT, key).ok()
}

/// Starts the team's part of a ticket from the request as it was filed: the queue it asked for,
/// its priority and category. The relay writes these once, when it first classifies the ticket,
/// so the requester's later edits of them count for nothing (the team's part has the say).
pub fn settle_filed(
    team: &mut impl Transactable,
    queue: &str,
    filed: &Ticket,
) -> Result<(), StoreError> {
    team.put(ROOT, "department", queue)?;
    team.put(ROOT, "priority", filed.priority.as_str())?;
    team.put(ROOT, "category", filed.category.as_str())?;
    Ok(())
}

/// Reads a request alone (no part at hand).
pub fn read_ticket(d: &impl ReadDoc) -> Result<Ticket, StoreError> {
    read_family(d, &[])
}

/// Reads a ticket as schema 1 and 2 kept it, whole in one document: how the relay takes up a
/// ticket of an older schema into its parts.
pub fn read_legacy(d: &impl ReadDoc) -> Result<Ticket, StoreError> {
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
        filed_by: str_at(d, &ROOT, "requester_id").unwrap_or_default(),
        comments: comments_in(d, "comments")?,
        events: events_in(d, "events")?,
        feedback: feedback(d),
        follow_up_of: str_at(d, &ROOT, "follow_up_of")
            .ok()
            .and_then(|id| id.parse().ok()),
        self_help: self_help(d),
        articles: linked_articles(d),
        assignee: String::new(),
        watchers: watchers(d),
        approval: legacy_approval(d),
        seen: seen_in(d),
        fired: json_entries(d, FIRED_PREFIX),
    }
    .with_automation())
}

fn self_help(d: &impl ReadDoc) -> SelfHelp {
    SelfHelp {
        solved_by: str_at(d, &ROOT, "solved_by")
            .ok()
            .and_then(|id| id.parse().ok()),
        suggested: int_at(d, &ROOT, "suggested")
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(0),
    }
}

fn seen_in(d: &impl ReadDoc) -> BTreeMap<String, Timestamp> {
    prefixed(d, SEEN_PREFIX)
        .filter_map(|(who, value)| match value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Timestamp(at)) => {
                Some((who, Timestamp(at)))
            }
            _ => None,
        })
        .collect()
}

/// Comments that claim another visibility than their document's are not read: an internal note
/// never appears among replies, nor a reply among internal notes.
fn only(comments: Vec<Comment>, visibility: Visibility) -> Vec<Comment> {
    comments
        .into_iter()
        .filter(|c| c.visibility == visibility)
        .collect()
}

fn only_events(events: Vec<TicketEvent>, visibility: Option<Visibility>) -> Vec<TicketEvent> {
    events
        .into_iter()
        .filter(|e| match (&e.kind, visibility) {
            (EventKind::Commented { visibility: v }, Some(wanted)) => *v == wanted,
            _ => true,
        })
        .collect()
}

const DECISION_PREFIX: &str = "decision:";
/// When the requester resolved their own request (see [`TicketDoc::resolve_own`]).
const SELF_RESOLVED: &str = "resolved_by_requester_at";
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
) -> BTreeMap<String, T> {
    prefixed(d, prefix)
        .filter_map(|(key, value)| match value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(json)) => {
                Some((key, serde_json::from_str(&json).ok()?))
            }
            _ => None,
        })
        .collect()
}

/// The emails of the people following a ticket, as one document of it names them: the
/// `followers` map's keys, and the `watchers` list of schema 1.
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

/// The approval the team asked for, with the decisions that count: a person's from their own
/// part, for the steps that wait on them; a rule's from the team's part; an admin's, on a step
/// naming nobody, from the admins' part.
fn approval<D: ReadDoc>(team: &D, admins: Option<&D>, people: &[(&str, &D)]) -> Option<Approval> {
    let json = str_at(team, &ROOT, "approval").ok()?;
    let mut approval: Approval = serde_json::from_str(&json).ok()?;
    // The team's part speaks for rules; the admins' part for admins, on steps naming nobody.
    approval.decisions = decisions(team).filter(|(_, d)| d.automatic).collect();
    let unnamed = |step: usize| {
        approval
            .steps
            .get(step)
            .is_some_and(|s| s.email.trim().is_empty())
    };
    let by_admins: Vec<(usize, Decision)> = admins
        .map(|a| {
            decisions(a)
                .filter(|(step, d)| unnamed(*step) && !d.automatic)
                .collect()
        })
        .unwrap_or_default();
    approval.decisions.extend(by_admins);
    for (email, part) in people {
        for (step, decision) in decisions(*part) {
            let theirs = approval
                .steps
                .get(step)
                .is_some_and(|s| s.email.trim().eq_ignore_ascii_case(email));
            if theirs && !decision.automatic {
                approval.decisions.insert(step, decision);
            }
        }
    }
    approval
        .decisions
        .retain(|step, _| *step < approval.steps.len());
    Some(approval)
}

fn decisions(d: &impl ReadDoc) -> impl Iterator<Item = (usize, Decision)> {
    json_entries::<Decision>(d, DECISION_PREFIX)
        .into_iter()
        .filter_map(|(step, decision)| Some((step.parse().ok()?, decision)))
}

/// An approval as schema 2 kept it, decisions beside it in the same document.
fn legacy_approval(d: &impl ReadDoc) -> Option<Approval> {
    let json = str_at(d, &ROOT, "approval").ok()?;
    let mut approval: Approval = serde_json::from_str(&json).ok()?;
    approval.decisions = decisions(d)
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
fn answers(d: &impl ReadDoc) -> BTreeMap<String, String> {
    answers_of(d)
}

/// The `answers` map of one document (the request's form; the team's corrections by rules).
fn answers_of(d: &impl ReadDoc) -> BTreeMap<String, String> {
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

fn comments_in(d: &impl ReadDoc, key: &'static str) -> Result<Vec<Comment>, StoreError> {
    let Ok(list) = obj_at(d, &ROOT, key) else {
        return Ok(Vec::new());
    };
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

fn events_in(d: &impl ReadDoc, key: &'static str) -> Result<Vec<TicketEvent>, StoreError> {
    let Ok(list) = obj_at(d, &ROOT, key) else {
        return Ok(Vec::new());
    };
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

/// What a ticket of an older schema held that now belongs in its parts, as part documents that
/// hold it: the team's fields, replies, history and rule records; internal notes; each approver's
/// decisions. The relay makes them once, when it takes such a ticket up under schema 3, and
/// merges them into the parts (whose first change is the same everywhere).
pub fn split_legacy(request: &impl ReadDoc) -> Result<Vec<(DocumentId, AutoCommit)>, StoreError> {
    let d = request;
    let id: DocumentId = str_at(d, &ROOT, "id")?
        .parse()
        .map_err(|_| StoreError::Invalid("id"))?;
    let (_, mut team) = ticket_parts::genesis(id, &Part::Team)?;
    for key in ["status", "priority", "department", "category", "approval"] {
        if let Ok(value) = str_at(d, &ROOT, key) {
            team.put(ROOT, key, value)?;
        }
    }
    for prefix in [FIRED_PREFIX, LINK_PREFIX] {
        for (key, value) in prefixed(d, prefix) {
            if let automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) = value {
                team.put(ROOT, format!("{prefix}{key}"), text.to_string())?;
            }
        }
    }
    for (who, at) in seen_in(d) {
        team.put(
            ROOT,
            format!("{SEEN_PREFIX}{who}"),
            ScalarValue::Timestamp(at.0),
        )?;
    }
    add_followers(&mut team, &watchers(d))?;
    let (_, mut staff) = ticket_parts::genesis(id, &Part::Staff)?;
    for comment in comments_in(d, "comments")? {
        let doc = match comment.visibility {
            Visibility::Public => &mut team,
            Visibility::Internal => &mut staff,
        };
        put_comment(doc, &comment)?;
    }
    for event in events_in(d, "events")? {
        let doc = match event.kind {
            EventKind::Commented {
                visibility: Visibility::Internal,
            } => &mut staff,
            _ => &mut team,
        };
        let events = obj_at(doc, &ROOT, EVENTS)?;
        append_event(doc, &events, &event.by, event.at, &event.kind)?;
    }
    let mut parts = vec![
        (part_id(id, &Part::Team), team),
        (part_id(id, &Part::Staff), staff),
    ];
    if let Some(approval) = legacy_approval(d) {
        for (step, decision) in &approval.decisions {
            let email = &approval.steps[*step].email;
            let doc = if decision.automatic {
                &mut parts[0].1
            } else if email.trim().is_empty() {
                let id = part_id(id, &Part::Admins);
                if !parts.iter().any(|(p, _)| *p == id) {
                    parts.push((id, ticket_parts::genesis(request_id(d)?, &Part::Admins)?.1));
                }
                &mut parts
                    .iter_mut()
                    .find(|(p, _)| *p == id)
                    .expect("just added")
                    .1
            } else {
                let id = part_id(id, &Part::Person(email.clone()));
                if !parts.iter().any(|(p, _)| *p == id) {
                    parts.push((
                        id,
                        ticket_parts::genesis(request_id(d)?, &Part::Person(email.clone()))?.1,
                    ));
                }
                &mut parts
                    .iter_mut()
                    .find(|(p, _)| *p == id)
                    .expect("just added")
                    .1
            };
            doc.put(ROOT, format!("{DECISION_PREFIX}{step}"), to_json(decision)?)?;
        }
    }
    for (_, doc) in &mut parts {
        doc.commit_with(automerge::transaction::CommitOptions::default().with_time(0));
    }
    Ok(parts)
}

fn request_id(d: &impl ReadDoc) -> Result<DocumentId, StoreError> {
    str_at(d, &ROOT, "id")?
        .parse()
        .map_err(|_| StoreError::Invalid("id"))
}

fn put_comment(doc: &mut AutoCommit, comment: &Comment) -> Result<(), StoreError> {
    let list = obj_at(doc, &ROOT, COMMENTS)?;
    let map = push_map(doc, &list)?;
    doc.put(&map, "at", ScalarValue::Timestamp(comment.at.0))?;
    doc.put(&map, "by", comment.by.as_str())?;
    doc.put(&map, "body", comment.body.as_str())?;
    doc.put(&map, "visibility", comment.visibility.as_str())?;
    if !comment.mentions.is_empty() {
        doc.put(&map, "mentions", to_json(&comment.mentions)?)?;
    }
    Ok(())
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
            ("Li Lei", &Side::Team),
            Timestamp(3_000),
        )
        .unwrap();
        doc.add_comment(
            "DB pool exhausted",
            Visibility::Internal,
            &[],
            ("Li Lei", &Side::Team),
            Timestamp(4_000),
        )
        .unwrap();
        let loaded = through_bytes(&mut doc);
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
        let t = through_bytes(&mut doc).read().unwrap();
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
            doc.add_comment(
                "  ",
                Visibility::Public,
                &[],
                ("a", &Side::Team),
                Timestamp(2)
            ),
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
        let mut there = here.fork();
        here.note_rating_request(false, Timestamp(4_000)).unwrap();
        here.note_rating_request(false, Timestamp(9_000)).unwrap();
        assert_eq!(
            here.read().unwrap().feedback.asked_at,
            Some(Timestamp(4_000))
        );
        here.rate(2, "慢", ("王芳", true), Timestamp(5_000))
            .unwrap();
        there.rate(5, "", ("王芳", true), Timestamp(6_000)).unwrap();
        here.merge(&mut there).unwrap();
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
        let mut there = here.fork();
        here.change_status(Status::InProgress, "agent", Timestamp(5_000))
            .unwrap();
        there
            .add_comment(
                "Any news?",
                Visibility::Public,
                &[],
                ("王芳", &Side::Requester),
                Timestamp(4_000),
            )
            .unwrap();
        here.merge(&mut there).unwrap();
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

    /// Every document of a ticket saved and loaded again, as a reload would.
    fn through_bytes(doc: &mut TicketDoc) -> TicketDoc {
        let mut loaded =
            TicketDoc::from_automerge(AutoCommit::load(&doc.automerge_mut().save()).unwrap())
                .unwrap();
        let parts: Vec<(DocumentId, Vec<u8>)> = doc
            .parts
            .iter_mut()
            .map(|(id, (_, d))| (*id, d.save()))
            .collect();
        for (id, bytes) in parts {
            assert!(loaded.attach(id, AutoCommit::load(&bytes).unwrap()));
        }
        loaded
    }

    #[test]
    fn a_ticket_of_an_older_schema_migrates_identically_and_its_parts_keep_everything() {
        let mut first = TicketDoc::from_automerge(saved_by_schema_1()).unwrap();
        let mut second = TicketDoc::from_automerge(saved_by_schema_1()).unwrap();
        assert_eq!(
            first.automerge_mut().get_heads(),
            second.automerge_mut().get_heads(),
            "two devices make the same migration changes"
        );
        assert_eq!(
            first.read().unwrap().comments.len(),
            0,
            "what the team owned is no longer read from the request"
        );
        for (id, part) in split_legacy(&saved_by_schema_1()).unwrap() {
            assert!(first.attach(id, part));
        }
        let t = first.read().unwrap();
        assert_eq!(t.status, Status::InProgress);
        assert_eq!(t.comments.len(), 1);
        assert_eq!(t.comments[0].visibility, Visibility::Internal);
        assert_eq!(t.watchers, vec!["zhao@example.cn".to_string()]);
        let again = first.automerge_mut().get_heads();
        let mut reopened = TicketDoc::from_automerge(first.automerge().clone()).unwrap();
        assert_eq!(
            reopened.automerge_mut().get_heads(),
            again,
            "migrated once only"
        );
    }

    #[test]
    fn each_side_writes_its_own_document_and_reads_only_what_belongs_there() {
        let mut doc = new_ticket();
        doc.add_comment(
            "还是不行",
            Visibility::Public,
            &[],
            ("王芳", &Side::Requester),
            Timestamp(2_000),
        )
        .unwrap();
        assert_eq!(
            doc.take_touched(),
            vec![doc.id()],
            "the requester writes the request"
        );
        doc.add_comment(
            "查日志",
            Visibility::Internal,
            &[],
            ("Li Lei", &Side::Team),
            Timestamp(3_000),
        )
        .unwrap();
        assert_eq!(doc.take_touched(), vec![part_id(doc.id(), &Part::Staff)]);
        doc.change_status(Status::InProgress, "Li Lei", Timestamp(4_000))
            .unwrap();
        assert_eq!(doc.take_touched(), vec![part_id(doc.id(), &Part::Team)]);
        let follower = Side::Follower("zhao@example.cn".into());
        doc.add_comment(
            "我也是",
            Visibility::Public,
            &[],
            ("赵敏", &follower),
            Timestamp(5_000),
        )
        .unwrap();
        assert_eq!(
            doc.take_touched(),
            vec![part_id(doc.id(), &Part::Person("zhao@example.cn".into()))]
        );

        // A requester's forged status, and an "internal note" put among public replies, count
        // for nothing: only the team's part says where the ticket stands.
        let request = doc.automerge_mut();
        request.put(ROOT, "status", "closed").unwrap();
        let conversation = obj_at(request, &ROOT, CONVERSATION).unwrap();
        let forged = push_map(request, &conversation).unwrap();
        for (k, v) in [
            ("by", "Li Lei"),
            ("body", "内部"),
            ("visibility", "internal"),
        ] {
            request.put(&forged, k, v).unwrap();
        }
        request
            .put(&forged, "at", ScalarValue::Timestamp(6_000))
            .unwrap();
        // Nor does an assignment or a resolution she writes into her own history.
        let history = obj_at(request, &ROOT, HISTORY).unwrap();
        for kind in [
            EventKind::Assigned {
                from: String::new(),
                to: "wang@example.cn".into(),
            },
            EventKind::StatusChanged {
                from: Status::New,
                to: Status::Resolved,
            },
        ] {
            append_event(request, &history, "王芳", Timestamp(6_500), &kind).unwrap();
        }
        let t = doc.read().unwrap();
        assert_eq!(t.status, Status::InProgress);
        assert_eq!(t.assignee, "");
        assert!(
            t.events.iter().all(|e| e.at != Timestamp(6_500)),
            "{:?}",
            t.events
        );
        let bodies: Vec<&str> = t.comments.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(bodies, ["还是不行", "查日志", "我也是"]);

        // A requester's device never holds the staff part: no internal note reaches it.
        let mut requester = new_ticket();
        requester.merge(&mut doc.fork()).unwrap();
        requester.parts.remove(&part_id(doc.id(), &Part::Staff));
        assert!(requester
            .read()
            .unwrap()
            .comments
            .iter()
            .all(|c| c.visibility == Visibility::Public));
    }

    #[test]
    fn decisions_count_only_from_the_approvers_own_part() {
        use crate::domain::automation::{Approval, PlannedStep};
        let mut doc = new_ticket();
        let step = |email: &str| PlannedStep {
            email: email.into(),
            ..Default::default()
        };
        doc.request_approval(&Approval {
            chain: "manager".into(),
            steps: vec![step("boss@example.cn")],
            pause_sla: false,
            requested_at: Timestamp(2_000),
            decisions: Default::default(),
        })
        .unwrap();
        let yes = |by: &str| Decision {
            approve: true,
            by: by.into(),
            at: Timestamp(3_000),
            comment: String::new(),
            automatic: false,
        };
        doc.decide(0, &yes("王芳"), Some("wang@example.cn"))
            .unwrap();
        let pending = doc.read().unwrap().approval.unwrap();
        assert!(
            pending.decisions.is_empty(),
            "not the requester's step to decide"
        );
        doc.decide(0, &yes("老板"), Some("boss@example.cn"))
            .unwrap();
        let decided = doc.read().unwrap().approval.unwrap();
        assert_eq!(decided.decisions[&0].by, "老板");

        // A step naming nobody is an admin's to decide, in the admins' part: a decision the team
        // writes into its own part for it counts for nothing.
        let mut unnamed = new_ticket();
        unnamed
            .request_approval(&Approval {
                chain: "manager".into(),
                steps: vec![step("")],
                pause_sla: false,
                requested_at: Timestamp(2_000),
                decisions: Default::default(),
            })
            .unwrap();
        let team = part_id(unnamed.id(), &Part::Team);
        let forged = to_json(&yes("Li Lei")).unwrap();
        unnamed
            .doc_mut(team)
            .unwrap()
            .put(ROOT, "decision:0", forged)
            .unwrap();
        assert!(unnamed
            .read()
            .unwrap()
            .approval
            .unwrap()
            .decisions
            .is_empty());
        let _ = unnamed.take_touched();
        unnamed.decide(0, &yes("Root"), None).unwrap();
        assert_eq!(
            unnamed.take_touched(),
            [part_id(unnamed.id(), &Part::Admins)]
        );
        assert_eq!(
            unnamed.read().unwrap().approval.unwrap().decisions[&0].by,
            "Root"
        );
    }

    #[test]
    fn the_requester_may_resolve_a_request_nobody_took_up_yet() {
        let mut doc = new_ticket();
        doc.resolve_own("王芳", Timestamp(2_000)).unwrap();
        assert_eq!(doc.status().unwrap(), Status::Resolved);
        let mut taken = new_ticket();
        taken
            .change_status(Status::InProgress, "Li Lei", Timestamp(2_000))
            .unwrap();
        assert!(taken.resolve_own("王芳", Timestamp(3_000)).is_err());
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
