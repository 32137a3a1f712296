//! Draws a compact table of pinyin readings from the `pinyin` crate at build time, for the CJK
//! Unified Ideographs block only (where people's and departments' names are written). The page then
//! ships one small number per character instead of the crate's tables for every Unicode block.

use pinyin::ToPinyin;
use std::path::Path;

/// The block covered: U+4E00 to U+9FFF.
const FIRST: u32 = 0x4E00;
const LAST: u32 = 0x9FFF;

fn main() {
    let mut syllables: Vec<&'static str> = Vec::new();
    // Per character, little-endian: 0 for no reading, else 1 + the index of its syllable.
    let mut readings = Vec::with_capacity(2 * (LAST - FIRST + 1) as usize);
    for code in FIRST..=LAST {
        let reading = char::from_u32(code)
            .and_then(|c| c.to_pinyin())
            .map(|p| p.plain());
        let number = match reading {
            None => 0,
            Some(syllable) => match syllables.iter().position(|s| *s == syllable) {
                Some(i) => i + 1,
                None => {
                    syllables.push(syllable);
                    syllables.len()
                }
            },
        };
        let number = u16::try_from(number).expect("fewer than 65,535 syllables");
        readings.extend_from_slice(&number.to_le_bytes());
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);
    std::fs::write(out.join("pinyin_readings.bin"), readings).expect("OUT_DIR is writable");
    let source = format!(
        "/// The first character of the table.\npub const FIRST: u32 = {FIRST};\n\
         /// Every toneless syllable, in order of first appearance.\npub static SYLLABLES: &[&str] = &{syllables:?};\n"
    );
    std::fs::write(out.join("pinyin_syllables.rs"), source).expect("OUT_DIR is writable");
    println!("cargo:rerun-if-changed=build.rs");
}
