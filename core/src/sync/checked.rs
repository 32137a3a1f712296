//! Decoding an Automerge sync message from someone else, refusing the ones that would crash us.
//!
//! automerge 0.12 trusts the Bloom filters in a message: one that claims entries but carries no
//! bits divides by zero when read, and one that asks for billions of probes allocates gigabytes.
//! Either would take the relay down for everyone (found by fuzzing; see `core/fuzz`), so both are
//! refused here, before automerge sees them.
//!
//! It also inflates compressed data with no limit: a change chunk compressed whole, or a document
//! chunk's compressed columns (automerge's own messages carry both). A 510 KB frame inflating to
//! half a gigabyte took the relay past 1 GiB, so every compressed part is inflated here first,
//! into nothing, counting, and the message is refused once the total passes a cap.

use automerge::sync;
use std::io::Read;

/// Probes per lookup we accept; automerge itself uses 7.
const MAX_PROBES: u64 = 64;
/// What one message's compressed parts may inflate to, unless the caller says otherwise.
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Why a sync message is not handed to automerge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("malformed")]
    Malformed,
    #[error("its compressed changes inflate to more than {0} bytes")]
    Inflates(u64),
    #[error("it carries a bundle chunk, which sync does not use")]
    Bundle,
}

/// The sync message in `data`, unless it is malformed or unsafe to hand to automerge: Bloom
/// filters that would crash it, or compressed parts inflating past `max_inflated` bytes in all.
pub fn decode_sync(data: &[u8], max_inflated: u64) -> Result<sync::Message, Refused> {
    let message = sync::Message::decode(data).map_err(|_| Refused::Malformed)?;
    if !message
        .have
        .iter()
        .all(|have| bloom_is_safe(&have.bloom.to_bytes()))
    {
        return Err(Refused::Malformed);
    }
    let mut budget = Budget {
        left: max_inflated,
        limit: max_inflated,
    };
    for chunks in message.changes.iter() {
        check_chunks(chunks, &mut budget)?;
    }
    Ok(message)
}

/// What may still be inflated.
struct Budget {
    left: u64,
    limit: u64,
}

impl Budget {
    /// Inflates raw DEFLATE data into nothing, charging what it yields.
    fn inflate(&mut self, compressed: &[u8]) -> Result<(), Refused> {
        let decoder = flate2::read::DeflateDecoder::new(compressed);
        let inflated = std::io::copy(&mut decoder.take(self.left + 1), &mut std::io::sink())
            .map_err(|_| Refused::Malformed)?;
        if inflated > self.left {
            return Err(Refused::Inflates(self.limit));
        }
        self.left -= inflated;
        Ok(())
    }
}

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const DOCUMENT: u8 = 0;
const CHANGE: u8 = 1;
const COMPRESSED_CHANGE: u8 = 2;
const BUNDLE: u8 = 3;
/// A column whose data is DEFLATE-compressed has this bit set in its specification.
const DEFLATED_COLUMN: u64 = 0b1000;

/// One entry of a message's change list: chunks one after another, each `magic, checksum (4),
/// type (1), leb128 length, data`.
fn check_chunks(mut bytes: &[u8], budget: &mut Budget) -> Result<(), Refused> {
    while !bytes.is_empty() {
        let header = take(&mut bytes, 9)?;
        if header[..4] != MAGIC {
            return Err(Refused::Malformed);
        }
        let length = leb128(&mut bytes).ok_or(Refused::Malformed)?;
        let data = take(
            &mut bytes,
            usize::try_from(length).map_err(|_| Refused::Malformed)?,
        )?;
        match header[8] {
            CHANGE => {} // automerge refuses compressed columns in a change chunk
            COMPRESSED_CHANGE => budget.inflate(data)?,
            DOCUMENT => check_document(data, budget)?,
            BUNDLE => return Err(Refused::Bundle),
            _ => return Err(Refused::Malformed),
        }
    }
    Ok(())
}

/// A document chunk: actors, heads, the change and op column lists (each `count, (spec,
/// length)…`), then the columns' data in that order.
fn check_document(mut data: &[u8], budget: &mut Budget) -> Result<(), Refused> {
    let actors = leb128(&mut data).ok_or(Refused::Malformed)?;
    for _ in 0..actors {
        let length = leb128(&mut data).ok_or(Refused::Malformed)?;
        take(
            &mut data,
            usize::try_from(length).map_err(|_| Refused::Malformed)?,
        )?;
    }
    let heads = leb128(&mut data).ok_or(Refused::Malformed)?;
    take(
        &mut data,
        usize::try_from(heads.saturating_mul(32)).map_err(|_| Refused::Malformed)?,
    )?;
    let mut columns = columns(&mut data)?;
    columns.extend(self::columns(&mut data)?);
    for (spec, length) in columns {
        let column = take(
            &mut data,
            usize::try_from(length).map_err(|_| Refused::Malformed)?,
        )?;
        if spec & DEFLATED_COLUMN != 0 {
            budget.inflate(column)?;
        }
    }
    Ok(())
}

fn columns(data: &mut &[u8]) -> Result<Vec<(u64, u64)>, Refused> {
    let count = leb128(data).ok_or(Refused::Malformed)?;
    // Each column takes two bytes at least: a count beyond that is a lie, not an allocation.
    if count > data.len() as u64 {
        return Err(Refused::Malformed);
    }
    (0..count)
        .map(|_| {
            let spec = leb128(data).ok_or(Refused::Malformed)?;
            let length = leb128(data).ok_or(Refused::Malformed)?;
            Ok((spec, length))
        })
        .collect()
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], Refused> {
    if bytes.len() < n {
        return Err(Refused::Malformed);
    }
    let (taken, rest) = bytes.split_at(n);
    *bytes = rest;
    Ok(taken)
}

/// A filter is `leb128 entries, leb128 bits per entry, leb128 probes, bits`; empty when it holds
/// no entries.
fn bloom_is_safe(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    let Some(entries) = leb128(&mut rest) else {
        return bytes.is_empty();
    };
    let (Some(_bits_per_entry), Some(probes)) = (leb128(&mut rest), leb128(&mut rest)) else {
        return false;
    };
    // automerge reads bit `hash % (8 × bytes)`, as a u32.
    let modulo = 8 * rest.len() as u64;
    entries == 0 || (modulo > 0 && modulo <= u64::from(u32::MAX) && probes <= MAX_PROBES)
}

fn leb128(bytes: &mut &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for (i, byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{Automerge, ROOT};
    use std::io::Write;

    /// A document whose columns automerge compresses (they pass 256 bytes), as a first sync
    /// message sends it whole.
    fn long_document() -> Automerge {
        let mut doc = Automerge::new();
        for n in 0..400 {
            doc.transact(|tx| tx.put(ROOT, format!("field {n}"), "一段很长的描述 ".repeat(20)))
                .unwrap();
        }
        doc
    }

    fn first_message(doc: &mut Automerge) -> Vec<u8> {
        let mut state = sync::State::new();
        let mut peer = Automerge::new();
        let mut peer_state = sync::State::new();
        // The peer says it has nothing (and speaks v2), so the whole document is sent.
        let hello = peer.generate_sync_message(&mut peer_state).unwrap();
        doc.receive_sync_message(&mut state, hello).unwrap();
        let message = doc.generate_sync_message(&mut state).unwrap();
        peer.receive_sync_message(&mut peer_state, message.clone())
            .unwrap();
        assert_eq!(peer.get_heads(), doc.get_heads());
        message.encode()
    }

    fn deflate(bytes: &[u8]) -> Vec<u8> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// A change list entry holding one chunk of `kind` around `data`.
    fn chunk(kind: u8, data: &[u8]) -> Vec<u8> {
        let mut chunk = MAGIC.to_vec();
        chunk.extend([0; 4]);
        chunk.push(kind);
        chunk.extend(leb(data.len() as u64));
        chunk.extend(data);
        chunk
    }

    fn message_with(chunks: Vec<u8>) -> Vec<u8> {
        sync::Message {
            heads: Vec::new(),
            need: Vec::new(),
            have: Vec::new(),
            changes: chunks.into(),
            flags: None,
            version: sync::MessageVersion::V1,
        }
        .encode()
    }

    #[test]
    fn automerges_own_compressed_documents_pass_and_bombs_are_refused() {
        let mut doc = long_document();
        let whole = first_message(&mut doc);
        assert!(decode_sync(&whole, MAX_INFLATED_BYTES).is_ok());
        // The same message, under a cap below what its columns inflate to, is refused: the
        // columns are compressed and they are counted.
        assert_eq!(
            decode_sync(&whole, 1_000).unwrap_err(),
            Refused::Inflates(1_000)
        );

        let bomb = deflate(&vec![0; 8 * 1024 * 1024]);
        assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
        let compressed_change = message_with(chunk(COMPRESSED_CHANGE, &bomb));
        assert_eq!(
            decode_sync(&compressed_change, 1024 * 1024).unwrap_err(),
            Refused::Inflates(1024 * 1024)
        );
        // Under the cap, it passes this check (automerge then finds it is no change at all).
        assert!(decode_sync(&compressed_change, 9 * 1024 * 1024).is_ok());

        // A document chunk with one compressed op column of the bomb.
        let mut document = vec![0, 0, 0, 1, 0b1000];
        document.extend(leb(bomb.len() as u64));
        document.extend(&bomb);
        let deflated_column = message_with(chunk(DOCUMENT, &document));
        assert_eq!(
            decode_sync(&deflated_column, 1024 * 1024).unwrap_err(),
            Refused::Inflates(1024 * 1024)
        );

        assert_eq!(
            decode_sync(&message_with(chunk(BUNDLE, b"x")), MAX_INFLATED_BYTES).unwrap_err(),
            Refused::Bundle
        );
        let mut cut_short = chunk(COMPRESSED_CHANGE, &bomb);
        cut_short.truncate(cut_short.len() / 2);
        assert_eq!(
            decode_sync(&message_with(cut_short), MAX_INFLATED_BYTES).unwrap_err(),
            Refused::Malformed
        );
    }

    fn leb(mut n: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            out.push(if n == 0 { byte } else { byte | 0x80 });
            if n == 0 {
                return out;
            }
        }
    }

    #[test]
    fn automerges_own_filters_pass_and_crashing_ones_are_refused() {
        let hashes = [
            automerge::ChangeHash([9; 32]),
            automerge::ChangeHash([4; 32]),
        ];
        let real = sync::BloomFilter::from_hashes(hashes.iter());
        assert!(bloom_is_safe(&real.to_bytes()));
        assert!(bloom_is_safe(&[]), "an empty filter");
        assert!(
            !bloom_is_safe(&[2, 0, 7]),
            "entries but no bits: a division by zero"
        );
        assert!(
            !bloom_is_safe(&[2, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0]),
            "billions of probes: gigabytes allocated"
        );
        assert!(!bloom_is_safe(&[2, 10]), "cut short");
    }
}
