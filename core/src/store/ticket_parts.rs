//! A ticket is a family of documents, one per set of writers, because the relay enforces access
//! per document (never per change) and so a field's authority is the authority of the document it
//! lives in:
//!
//! | part | id | written by | read by |
//! |---|---|---|---|
//! | request | the ticket's own id | its requester (and filer) | everyone on the ticket |
//! | team | derived | the serving queue's staff, admins | everyone on the ticket |
//! | staff | derived | the serving queue's staff, admins | the same, nobody else |
//! | person | derived from an email | that person alone | everyone on the ticket |
//! | admins | derived | admins | everyone on the ticket |
//!
//! The request holds what the requester owns (title, description, their conversation, their
//! rating, people of their own department they add); the team part what the serving team owns
//! (status, priority, category, queue moves, assignee, public replies, approvals asked for, what
//! rules did); the staff part internal notes; a person part one follower's replies, read marker
//! and approval decisions; the admins' part decisions on approval steps that name nobody.
//!
//! Part ids are derived from the ticket id (SHA-256), so every device finds a ticket's parts
//! without asking, and a part's first change is the same change on every device (made by an
//! actor named after the part, at time zero, like a schema step): two devices starting the same
//! part offline share its history, and the relay makes it too, so a part delivered by someone not
//! entitled to write it is never the one others read.
//!
//! ```
//! use innerdesk_core::domain::DocumentId;
//! use innerdesk_core::store::ticket_parts::{claimed_part, genesis, Part};
//! let ticket = DocumentId::from_bytes([7; 16]);
//! let (id, doc) = genesis(ticket, &Part::Team).unwrap();
//! assert_eq!(claimed_part(&doc, id), Some((ticket, Part::Team)));
//! assert_eq!(genesis(ticket, &Part::Team).unwrap().1.get_heads(), doc.clone().get_heads());
//! ```

use super::fields::{str_at, write_header};
use super::StoreError;
use crate::domain::DocumentId;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ReadDoc, ROOT};
use sha2::{Digest, Sha256};

/// The `kind` of every part but the request (which is a `ticket`).
pub const KIND: &str = "ticket-part";
const SCHEMA: i64 = 1;

/// Which part of a ticket a document is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// What the serving team decides.
    Team,
    /// Internal notes: the serving team's alone.
    Staff,
    /// Admins' decisions on approval steps that name nobody.
    Admins,
    /// One follower's own part (by email): their replies, read marker and approval decisions.
    Person(String),
}

impl Part {
    fn name(&self) -> &'static str {
        match self {
            Part::Team => "team",
            Part::Staff => "staff",
            Part::Admins => "admins",
            Part::Person(_) => "person",
        }
    }

    /// The email a person part belongs to.
    pub fn person(&self) -> Option<&str> {
        match self {
            Part::Person(email) => Some(email),
            _ => None,
        }
    }
}

/// The id of a ticket's part. Emails are folded to lower case: one person, one part.
pub fn part_id(ticket: DocumentId, part: &Part) -> DocumentId {
    let mut hash = Sha256::new();
    hash.update(b"innerdesk ticket part\0");
    hash.update(ticket.as_bytes());
    hash.update(part.name().as_bytes());
    if let Part::Person(email) = part {
        hash.update(b"\0");
        hash.update(email.trim().to_lowercase().as_bytes());
    }
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocumentId::from_bytes(bytes)
}

/// A part as it begins: the same single change wherever it is made, then open to this device's
/// own edits (under an actor of its own).
pub fn genesis(ticket: DocumentId, part: &Part) -> Result<(DocumentId, AutoCommit), StoreError> {
    let id = part_id(ticket, part);
    let mut first = AutoCommit::new();
    first.set_actor(ActorId::from(id.as_bytes().as_slice()));
    write_header(&mut first, KIND, SCHEMA)?;
    first.put(ROOT, "part", part.name())?;
    first.put(ROOT, "ticket", ticket.to_string())?;
    if let Some(email) = part.person() {
        first.put(ROOT, "person", email.trim().to_lowercase())?;
    }
    first.put_object(ROOT, "comments", ObjType::List)?;
    first.put_object(ROOT, "events", ObjType::List)?;
    first.put_object(ROOT, "followers", ObjType::Map)?;
    first.commit_with(CommitOptions::default().with_time(0));
    let change = first
        .get_last_local_change()
        .ok_or(StoreError::Missing("part"))?;
    let mut doc = AutoCommit::new();
    doc.apply_changes([change])?;
    Ok((id, doc))
}

/// The ticket and part a document says it is, if its id is the one derived from that claim (a
/// document cannot pass itself off as another ticket's part).
pub fn claimed_part(doc: &impl ReadDoc, id: DocumentId) -> Option<(DocumentId, Part)> {
    if str_at(doc, &ROOT, "kind").ok()? != KIND {
        return None;
    }
    let ticket: DocumentId = str_at(doc, &ROOT, "ticket").ok()?.parse().ok()?;
    let part = match str_at(doc, &ROOT, "part").ok()?.as_str() {
        "team" => Part::Team,
        "staff" => Part::Staff,
        "admins" => Part::Admins,
        "person" => Part::Person(str_at(doc, &ROOT, "person").ok()?),
        _ => return None,
    };
    (part_id(ticket, &part) == id).then_some((ticket, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_devices_starting_the_same_part_share_its_first_change() {
        let ticket = DocumentId::from_bytes([3; 16]);
        let (id, mut a) = genesis(ticket, &Part::Person("Wang@Example.cn".into())).unwrap();
        let (same, mut b) = genesis(ticket, &Part::Person("wang@example.cn".into())).unwrap();
        assert_eq!(id, same, "one person, one part");
        assert_eq!(a.get_heads(), b.get_heads());
        a.put(ROOT, "seen", 1).unwrap();
        b.put(ROOT, "seen", 2).unwrap();
        assert_ne!(a.get_actor(), b.get_actor(), "each device writes as itself");
        a.merge(&mut b).unwrap();
        assert_eq!(a.get_changes(&[]).len(), 3);
    }

    #[test]
    fn a_part_cannot_claim_to_be_another_tickets() {
        let ticket = DocumentId::from_bytes([3; 16]);
        let other = DocumentId::from_bytes([4; 16]);
        let (_, doc) = genesis(ticket, &Part::Staff).unwrap();
        assert_eq!(claimed_part(&doc, part_id(other, &Part::Staff)), None);
        assert_eq!(claimed_part(&doc, part_id(ticket, &Part::Team)), None);
        assert_eq!(
            claimed_part(&doc, part_id(ticket, &Part::Staff)),
            Some((ticket, Part::Staff))
        );
    }
}
