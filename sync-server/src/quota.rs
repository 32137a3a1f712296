//! Per-person quotas: how many documents one person may bring to the relay, how many bytes of
//! changes they may store, how fast they may send changes, and how large one document may grow.
//! Limits per connection alone would reset with every reconnect; these follow the person.
//!
//! What a person has stored is counted from the audit log (read whole at start, kept up to date
//! as changes arrive), so it survives restarts without a file of its own. The rate is a token
//! bucket in memory: a restart refills it, which costs nothing an attacker could not get by
//! waiting a minute.

use crate::config::Limits;
use innerdesk_core::access::PersonId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// What one person has stored on the relay.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// Documents whose first change they delivered.
    pub documents: u64,
    /// Bytes of all the changes they delivered.
    pub bytes: u64,
}

/// What one message would add.
#[derive(Debug, Clone, Copy)]
pub struct Delivery {
    pub changes: u64,
    pub bytes: u64,
    /// What the document holds already, in bytes of changes.
    pub document_bytes: u64,
}

/// Which quota a delivery would pass, said to the person who sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OverQuota {
    #[error("you have brought {0} documents to the relay, the most one person may")]
    Documents(u64),
    #[error("your changes would take more than {0} bytes, the most one person may store")]
    Bytes(u64),
    #[error("the document would grow past {0} bytes, the most one document may hold")]
    DocumentSize(u64),
    #[error("more than {0} changes a minute: wait a minute and sync again")]
    Rate(u64),
}

impl OverQuota {
    pub const NAMES: [&'static str; 4] = ["documents", "bytes", "document_size", "rate"];

    /// Its place in [`Self::NAMES`], for the metric.
    pub fn index(&self) -> usize {
        match self {
            Self::Documents(_) => 0,
            Self::Bytes(_) => 1,
            Self::DocumentSize(_) => 2,
            Self::Rate(_) => 3,
        }
    }
}

pub struct Quotas {
    limits: Limits,
    buckets: Mutex<HashMap<PersonId, Bucket>>,
}

/// Changes a person may still send now; refills at the per-minute rate up to the burst.
struct Bucket {
    changes: f64,
    at: Instant,
}

impl Quotas {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            buckets: Mutex::default(),
        }
    }

    /// Whether a person who has stored `used` may bring the relay one more document (asked
    /// before the relay records anything of it).
    pub fn may_bring_document(&self, used: Usage) -> Result<(), OverQuota> {
        let most = self.limits.max_documents_per_person;
        if used.documents >= most {
            return Err(OverQuota::Documents(most));
        }
        Ok(())
    }

    /// Whether `person`, who has stored `used`, may store `delivery`. An admitted delivery
    /// takes its changes from the person's bucket.
    pub fn admit(
        &self,
        person: &PersonId,
        used: Usage,
        delivery: Delivery,
        now: Instant,
    ) -> Result<(), OverQuota> {
        let limits = &self.limits;
        if used.bytes + delivery.bytes > limits.max_bytes_per_person {
            return Err(OverQuota::Bytes(limits.max_bytes_per_person));
        }
        if delivery.document_bytes + delivery.bytes > limits.max_document_bytes {
            return Err(OverQuota::DocumentSize(limits.max_document_bytes));
        }
        let (rate, burst) = (
            limits.changes_per_minute_per_person as f64,
            limits.change_burst_per_person as f64,
        );
        let mut buckets = self.buckets.lock().unwrap();
        let bucket = buckets.entry(person.clone()).or_insert(Bucket {
            changes: burst,
            at: now,
        });
        let minutes = now.duration_since(bucket.at).as_secs_f64() / 60.0;
        bucket.changes = (bucket.changes + minutes * rate).min(burst);
        bucket.at = now;
        // A backlog larger than the whole burst (weeks offline) still goes through when the
        // bucket is full, and empties it.
        let wanted = (delivery.changes as f64).min(burst);
        if bucket.changes < wanted {
            return Err(OverQuota::Rate(limits.changes_per_minute_per_person));
        }
        bucket.changes -= wanted;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn quotas() -> Quotas {
        Quotas::new(Limits {
            max_documents_per_person: 2,
            max_bytes_per_person: 1_000,
            max_document_bytes: 600,
            changes_per_minute_per_person: 60,
            change_burst_per_person: 10,
            ..Limits::default()
        })
    }

    fn delivery(changes: u64, bytes: u64) -> Delivery {
        Delivery {
            changes,
            bytes,
            document_bytes: 0,
        }
    }

    #[test]
    fn stored_documents_bytes_and_document_size_are_capped() {
        let q = quotas();
        let li = PersonId("li".into());
        let now = Instant::now();
        let two = Usage {
            documents: 2,
            bytes: 900,
        };
        assert_eq!(q.may_bring_document(two), Err(OverQuota::Documents(2)));
        assert_eq!(q.may_bring_document(Usage::default()), Ok(()));
        assert_eq!(q.admit(&li, two, delivery(1, 10), now), Ok(()));
        assert_eq!(
            q.admit(&li, two, delivery(1, 101), now),
            Err(OverQuota::Bytes(1_000))
        );
        let big = Delivery {
            document_bytes: 590,
            ..delivery(1, 20)
        };
        assert_eq!(
            q.admit(&li, Usage::default(), big, now),
            Err(OverQuota::DocumentSize(600))
        );
    }

    #[test]
    fn the_rate_refills_and_a_backlog_larger_than_the_burst_passes_once_full() {
        let q = quotas();
        let (li, wang) = (PersonId("li".into()), PersonId("wang".into()));
        let now = Instant::now();
        let none = Usage::default();
        assert_eq!(q.admit(&li, none, delivery(8, 0), now), Ok(()));
        assert_eq!(
            q.admit(&li, none, delivery(5, 0), now),
            Err(OverQuota::Rate(60))
        );
        assert_eq!(
            q.admit(&wang, none, delivery(5, 0), now),
            Ok(()),
            "each person has their own"
        );
        // One a second comes back: three seconds later five more fit.
        let later = now + Duration::from_secs(3);
        assert_eq!(q.admit(&li, none, delivery(5, 0), later), Ok(()));
        // A device back from weeks offline: 500 changes at once, when the bucket is full.
        let full = later + Duration::from_secs(60);
        assert_eq!(q.admit(&li, none, delivery(500, 0), full), Ok(()));
        assert_eq!(
            q.admit(&li, none, delivery(1, 0), full),
            Err(OverQuota::Rate(60)),
            "and then waits while the bucket refills"
        );
        let refilled = full + Duration::from_secs(1);
        assert_eq!(q.admit(&li, none, delivery(1, 0), refilled), Ok(()));
    }
}
