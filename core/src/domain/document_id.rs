//! Document ids: 16 random bytes, written as base58check like automerge-repo's ids, so the relay (and any
//! automerge-repo peer) can name the same documents.

use std::fmt;
use std::str::FromStr;

/// The id of one Automerge document (a ticket, an index, a profile…). Not a secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// A string that is not a document id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a document id: {0:?}")]
pub struct BadDocumentId(pub String);

impl DocumentId {
    /// Builds an id from random bytes supplied by the caller (the domain never draws randomness itself).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// A short code people can read aloud and type in a search box, e.g. `T-3FZ9QK`.
    pub fn short_code(&self) -> String {
        let text = self.to_string();
        let tail: String = text
            .chars()
            .rev()
            .take(6)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("T-{}", tail.to_uppercase())
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = BadDocumentId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadDocumentId(s.to_string());
        let bytes = bs58::decode(s)
            .with_check(None)
            .into_vec()
            .map_err(|_| bad())?;
        let bytes: [u8; 16] = bytes.try_into().map_err(|_| bad())?;
        Ok(Self(bytes))
    }
}

impl serde::Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        let id = DocumentId::from_bytes([7; 16]);
        let parsed: DocumentId = id.to_string().parse().unwrap();
        assert_eq!(parsed, id);
    }

    #[test]
    fn rejects_text_that_is_not_an_id() {
        assert!("hello".parse::<DocumentId>().is_err());
        assert!("".parse::<DocumentId>().is_err());
        let mut text = DocumentId::from_bytes([1; 16]).to_string();
        text.pop();
        assert!(
            text.parse::<DocumentId>().is_err(),
            "a damaged checksum must not parse"
        );
    }

    #[test]
    fn short_code_is_stable_and_readable() {
        let id = DocumentId::from_bytes([9; 16]);
        assert_eq!(id.short_code(), id.short_code());
        assert!(id.short_code().starts_with("T-"));
        assert_eq!(id.short_code().len(), 8);
    }
}
