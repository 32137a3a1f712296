//! Votes on the suggestion board. Everyone writes the board, so a vote in it says nothing of who
//! cast it: the relay counts a vote only if the change casting it was delivered by its voter
//! (as the audit log records), and publishes the voters that count in the index everyone reads.

use crate::feeds::Feeds;
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT};
use innerdesk_core::access::{Audience, DocFacts};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::store::voice_doc::{counted_votes, VOTE_COUNTS};
use std::collections::{BTreeMap, BTreeSet};

impl Feeds {
    /// The board changed: its votes are counted again.
    pub(crate) async fn board_changed(&self, doc: DocumentId) -> std::io::Result<()> {
        // Should two boards exist (made offline), pages fold the later into the lowest.
        let lowest = self
            .shared()
            .registry
            .matching_facts(|f| (*f == DocFacts::Board).then_some(()))
            .into_iter()
            .map(|(id, ())| id)
            .min();
        if lowest != Some(doc) {
            return Ok(());
        }
        let audit = &self.shared().audit;
        let counted = self.hub().read(doc, |d| {
            counted_votes(&d.get_changes(&[]), |change| {
                audit.deliverer(doc, change).map(|p| p.0)
            })
        });
        let Some(counted) = counted.await.map_err(std::io::Error::other)? else {
            return Ok(());
        };
        let index = self.index(&Audience::Everyone).await?;
        self.hub()
            .change(index, |d| {
                let _ = d.transact(|tx| write_counted(tx, &counted));
            })
            .await
            .map_err(std::io::Error::other)
    }
}

/// Writes each suggestion's voters where they changed, so the index's history grows by votes
/// cast, not by the size of the board.
fn write_counted(
    tx: &mut impl Transactable,
    counted: &BTreeMap<String, BTreeSet<String>>,
) -> Result<(), automerge::AutomergeError> {
    let map = match tx.get(ROOT, VOTE_COUNTS)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(ROOT, VOTE_COUNTS, ObjType::Map)?,
    };
    let written: Vec<String> = tx.keys(&map).collect();
    for gone in written.iter().filter(|s| !counted.contains_key(*s)) {
        tx.delete(&map, gone.as_str())?;
    }
    for (suggestion, voters) in counted {
        let text = serde_json::to_string(voters).expect("names serialise");
        let current = match tx.get(&map, suggestion.as_str())? {
            Some((automerge::Value::Scalar(s), _)) => s.as_str().map(str::to_string),
            _ => None,
        };
        if current.as_deref() != Some(text.as_str()) {
            tx.put(&map, suggestion.as_str(), text)?;
        }
    }
    Ok(())
}
