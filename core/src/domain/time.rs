//! Wall-clock instants, passed into the domain by its callers.

/// Milliseconds since the Unix epoch, UTC. The device's clock at the moment something happened.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }
}

/// A span of time, `start` included, `end` not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl Period {
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Period {
        Period {
            start: Timestamp(self.start.0 - (self.end.0 - self.start.0)),
            end: self.start,
        }
    }
}
