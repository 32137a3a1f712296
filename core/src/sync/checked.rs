//! Decoding an Automerge sync message from someone else, refusing the ones that would crash us.
//!
//! automerge 0.12 trusts the Bloom filters in a message: one that claims entries but carries no
//! bits divides by zero when read, and one that asks for billions of probes allocates gigabytes.
//! Either would take the relay down for everyone (found by fuzzing; see `core/fuzz`), so both are
//! refused here, before automerge sees them.

use automerge::sync;

/// Probes per lookup we accept; automerge itself uses 7.
const MAX_PROBES: u64 = 64;

/// The sync message in `data`, or `None` if it is malformed or unsafe to hand to automerge.
pub fn decode_sync(data: &[u8]) -> Option<sync::Message> {
    let message = sync::Message::decode(data).ok()?;
    message
        .have
        .iter()
        .all(|have| bloom_is_safe(&have.bloom.to_bytes()))
        .then_some(message)
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
