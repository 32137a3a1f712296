//! The voice of the customer in three shared documents, each entry one JSON string under its id
//! (see `entries`), so people editing different entries merge cleanly:
//!
//! - `voice` (organisation: admins write, everyone reads): rating settings, surveys, award rules,
//!   bulletin posts;
//! - `workbench` (staff read and write): interview notes, needs, improvement plans;
//! - `board` (everyone reads and writes): suggestions, votes and the owners' replies. Votes are a
//!   map of voters per suggestion, so votes cast offline on many devices all count, once each.

use super::entries::{entries, json, sync_map};
use super::fields::{check_header, int_at, obj_at, str_at, write_header};
use super::StoreError;
use crate::domain::voice::rating::RatingSettings;
use crate::domain::voice::recognition::{AwardRule, Post};
use crate::domain::voice::results::Response;
use crate::domain::voice::suggestions::{Reply, Suggestion};
use crate::domain::voice::survey::Survey;
use crate::domain::voice::workbench::{Interview, Need, Plan};
use automerge::{transaction::Transactable, AutoCommit, ObjType, ReadDoc, ROOT};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub const VOICE: &str = "voice";
pub const WORKBENCH: &str = "workbench";
pub const BOARD: &str = "board";
const SCHEMA: i64 = 1;

const VOICE_MAPS: [&str; 3] = ["surveys", "awards", "bulletin"];
const WORKBENCH_MAPS: [&str; 3] = ["interviews", "needs", "plans"];
const BOARD_MAPS: [&str; 3] = ["suggestions", "votes", "replies"];

fn maps_of(kind: &str) -> &'static [&'static str; 3] {
    match kind {
        VOICE => &VOICE_MAPS,
        WORKBENCH => &WORKBENCH_MAPS,
        _ => &BOARD_MAPS,
    }
}

/// A new document of one of the three kinds.
pub fn create(kind: &'static str) -> Result<AutoCommit, StoreError> {
    let mut doc = AutoCommit::new();
    write_header(&mut doc, kind, SCHEMA)?;
    for map in maps_of(kind) {
        doc.put_object(ROOT, *map, ObjType::Map)?;
    }
    doc.commit();
    Ok(doc)
}

pub fn is_kind(doc: &impl ReadDoc, kind: &'static str) -> bool {
    check_header(doc, kind, SCHEMA).is_ok()
}

/// The organisation's configuration of the voice of the customer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Voice {
    pub rating: RatingSettings,
    pub surveys: BTreeMap<String, Survey>,
    pub awards: BTreeMap<String, AwardRule>,
    pub bulletin: BTreeMap<String, Post>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Workbench {
    pub interviews: BTreeMap<String, Interview>,
    pub needs: BTreeMap<String, Need>,
    pub plans: BTreeMap<String, Plan>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Board {
    pub suggestions: BTreeMap<String, Suggestion>,
    /// Suggestion id → the people who voted for it.
    pub votes: BTreeMap<String, BTreeSet<String>>,
    pub replies: BTreeMap<String, Reply>,
}

/// The entries of a map field, keyed by the id `key` reads from each.
fn keyed<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    field: &'static str,
    key: impl Fn(&T) -> String,
    unreadable: &mut usize,
) -> Result<BTreeMap<String, T>, StoreError> {
    Ok(entries::<T>(doc, field, unreadable)?
        .into_iter()
        .map(|e| (key(&e), e))
        .collect())
}

fn sync_field<T: PartialEq + Serialize>(
    doc: &mut AutoCommit,
    field: &'static str,
    current: &BTreeMap<String, T>,
    wanted: &BTreeMap<String, T>,
) -> Result<(), StoreError> {
    let map = obj_at(doc, &ROOT, field)?;
    sync_map(doc, &map, current, wanted, String::clone)
}

pub fn read_voice(doc: &impl ReadDoc) -> Result<(Voice, usize), StoreError> {
    check_header(doc, VOICE, SCHEMA)?;
    let mut bad = 0;
    let voice = Voice {
        rating: str_at(doc, &ROOT, "rating")
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default(),
        surveys: keyed(doc, "surveys", |s: &Survey| s.id.clone(), &mut bad)?,
        awards: keyed(doc, "awards", |a: &AwardRule| a.id.clone(), &mut bad)?,
        bulletin: keyed(doc, "bulletin", |p: &Post| p.id.clone(), &mut bad)?,
    };
    Ok((voice, bad))
}

pub fn save_voice(doc: &mut AutoCommit, wanted: &Voice) -> Result<(), StoreError> {
    let (current, _) = read_voice(doc)?;
    if current.rating != wanted.rating {
        doc.put(ROOT, "rating", json(&wanted.rating)?)?;
    }
    sync_field(doc, "surveys", &current.surveys, &wanted.surveys)?;
    sync_field(doc, "awards", &current.awards, &wanted.awards)?;
    sync_field(doc, "bulletin", &current.bulletin, &wanted.bulletin)?;
    doc.commit();
    Ok(())
}

pub fn read_workbench(doc: &impl ReadDoc) -> Result<(Workbench, usize), StoreError> {
    check_header(doc, WORKBENCH, SCHEMA)?;
    let mut bad = 0;
    let workbench = Workbench {
        interviews: keyed(doc, "interviews", |i: &Interview| i.id.clone(), &mut bad)?,
        needs: keyed(doc, "needs", |n: &Need| n.id.clone(), &mut bad)?,
        plans: keyed(doc, "plans", |p: &Plan| p.id.clone(), &mut bad)?,
    };
    Ok((workbench, bad))
}

pub fn save_workbench(doc: &mut AutoCommit, wanted: &Workbench) -> Result<(), StoreError> {
    let (current, _) = read_workbench(doc)?;
    sync_field(doc, "interviews", &current.interviews, &wanted.interviews)?;
    sync_field(doc, "needs", &current.needs, &wanted.needs)?;
    sync_field(doc, "plans", &current.plans, &wanted.plans)?;
    doc.commit();
    Ok(())
}

pub fn read_board(doc: &impl ReadDoc) -> Result<(Board, usize), StoreError> {
    check_header(doc, BOARD, SCHEMA)?;
    let mut bad = 0;
    let votes_map = obj_at(doc, &ROOT, "votes")?;
    let mut votes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for key in doc.keys(&votes_map) {
        if let Some((suggestion, voter)) = key.split_once(VOTE_SEPARATOR) {
            votes
                .entry(suggestion.to_string())
                .or_default()
                .insert(voter.to_string());
        }
    }
    let board = Board {
        suggestions: keyed(doc, "suggestions", |s: &Suggestion| s.id.clone(), &mut bad)?,
        votes,
        replies: keyed_by_map_key(doc, "replies", &mut bad)?,
    };
    Ok((board, bad))
}

/// Replies are stored under their suggestion's id (a reply does not carry it).
fn keyed_by_map_key<T: DeserializeOwned>(
    doc: &impl ReadDoc,
    field: &'static str,
    unreadable: &mut usize,
) -> Result<BTreeMap<String, T>, StoreError> {
    let map = obj_at(doc, &ROOT, field)?;
    let mut out = BTreeMap::new();
    for item in doc.map_range(&map, ..) {
        match item.value {
            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) => {
                match serde_json::from_str(&text) {
                    Ok(v) => {
                        out.insert(item.key.to_string(), v);
                    }
                    Err(_) => *unreadable += 1,
                }
            }
            _ => *unreadable += 1,
        }
    }
    Ok(out)
}

/// Adds a suggestion (its author left empty when it is anonymous).
pub fn suggest(doc: &mut AutoCommit, suggestion: &Suggestion) -> Result<(), StoreError> {
    let map = obj_at(doc, &ROOT, "suggestions")?;
    doc.put(&map, suggestion.id.as_str(), json(suggestion)?)?;
    doc.commit();
    Ok(())
}

/// Between a suggestion's id and a voter's in a vote's key.
const VOTE_SEPARATOR: char = '|';

/// Casts or withdraws `voter`'s vote. Each vote is one key of one map made with the board, so
/// votes cast on many devices at once all survive the merge (a map per suggestion, made by two
/// devices at once, would keep only one device's votes).
pub fn vote(
    doc: &mut AutoCommit,
    suggestion: &str,
    voter: &str,
    on: bool,
) -> Result<(), StoreError> {
    let votes = obj_at(doc, &ROOT, "votes")?;
    let key = format!("{suggestion}{VOTE_SEPARATOR}{voter}");
    if on {
        doc.put(&votes, key, true)?;
    } else if doc.get(&votes, &key)?.is_some() {
        doc.delete(&votes, key)?;
    }
    doc.commit();
    Ok(())
}

/// Where the relay keeps the votes that count in the index everyone reads: suggestion id → its
/// voters (JSON).
pub const VOTE_COUNTS: &str = "vote_counts";

/// The votes that count, per suggestion: each cast (or withdrawn) by a change its voter
/// delivered. Anyone may write the board, so a vote written in someone else's name, or a
/// withdrawal of someone else's vote, counts for nothing. `changes` in the order the document
/// holds them (causal); `deliverer` says who delivered a change, as the relay recorded it.
pub fn counted_votes<'a>(
    changes: impl IntoIterator<Item = &'a automerge::Change>,
    deliverer: impl Fn(&automerge::ChangeHash) -> Option<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    use automerge::legacy::{Key, OpType};
    let mut votes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for change in changes {
        let Some(by) = deliverer(&change.hash()) else {
            continue;
        };
        for op in change.decode().operations {
            // Only votes' keys hold the separator (suggestion ids are generated without it).
            let Key::Map(key) = &op.key else {
                continue;
            };
            let Some((suggestion, voter)) = key.split_once(VOTE_SEPARATOR) else {
                continue;
            };
            if voter != by {
                continue;
            }
            let voters = votes.entry(suggestion.to_string()).or_default();
            match op.action {
                OpType::Put(_) => {
                    voters.insert(voter.to_string());
                }
                OpType::Delete => {
                    voters.remove(voter);
                }
                _ => {}
            }
        }
    }
    votes.retain(|_, voters| !voters.is_empty());
    votes
}

pub fn reply(doc: &mut AutoCommit, suggestion: &str, reply: &Reply) -> Result<(), StoreError> {
    let map = obj_at(doc, &ROOT, "replies")?;
    doc.put(&map, suggestion, json(reply)?)?;
    doc.commit();
    Ok(())
}

/// Where the relay keeps survey results (survey id → rounds, JSON) in the index everyone reads.
/// Only surveys that are not confidential: a confidential round is a [`Publication`].
pub const SURVEY_RESULTS: &str = "survey_results";

/// The kind of a document the relay writes once, with one closed round of a confidential survey.
pub const PUBLICATION: &str = "survey-publication";

/// One closed round of a confidential survey, as published: a document of its own, written once
/// and never changed, so its history holds nothing but these figures.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, Serialize)]
pub struct Publication {
    pub survey: String,
    pub round: u32,
    /// Whether an administrator released the free-text answers (then they are in).
    pub texts_released: bool,
    pub result: crate::domain::voice::results::RoundResult,
}

/// The document id of a publication: the same on every relay and after every restart, so one
/// round is published once.
pub fn publication_id(survey: &str, round: u32, texts_released: bool) -> crate::domain::DocumentId {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(b"innerdesk survey publication\0");
    hash.update(survey.as_bytes());
    hash.update(b"\0");
    hash.update(round.to_be_bytes());
    hash.update([u8::from(texts_released)]);
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash.finalize()[..16]);
    crate::domain::DocumentId::from_bytes(bytes)
}

pub fn write_publication(
    doc: &mut impl Transactable,
    publication: &Publication,
) -> Result<(), StoreError> {
    write_header(doc, PUBLICATION, SCHEMA)?;
    doc.put(ROOT, "publication", json(publication)?)?;
    Ok(())
}

pub fn read_publication(doc: &impl ReadDoc) -> Result<Publication, StoreError> {
    check_header(doc, PUBLICATION, SCHEMA)?;
    serde_json::from_str(&str_at(doc, &ROOT, "publication")?)
        .map_err(|_| StoreError::Invalid("publication"))
}

/// The kind of a survey response: its respondent's alone; the relay sums responses up.
pub const RESPONSE: &str = "survey-response";

/// A new response document.
pub fn create_response(response: &Response) -> Result<AutoCommit, StoreError> {
    let mut doc = AutoCommit::new();
    write_header(&mut doc, RESPONSE, SCHEMA)?;
    doc.put(ROOT, "survey", response.survey.as_str())?;
    doc.put(ROOT, "round", i64::from(response.round))?;
    doc.put(ROOT, "answers", json(&response.answers)?)?;
    doc.put(ROOT, "at", automerge::ScalarValue::Timestamp(response.at.0))?;
    doc.commit();
    Ok(doc)
}

/// A response as stored; respondent and department are the relay's to fill in (it knows who
/// delivered the document), so they read back empty here.
pub fn read_response(doc: &impl ReadDoc) -> Result<Response, StoreError> {
    check_header(doc, RESPONSE, SCHEMA)?;
    let answers = str_at(doc, &ROOT, "answers")?;
    Ok(Response {
        survey: str_at(doc, &ROOT, "survey")?,
        round: u32::try_from(int_at(doc, &ROOT, "round")?)
            .map_err(|_| StoreError::Invalid("round"))?,
        respondent: String::new(),
        department: String::new(),
        answers: serde_json::from_str(&answers).map_err(|_| StoreError::Invalid("answers"))?,
        at: crate::domain::Timestamp(int_at(doc, &ROOT, "at")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::voice::suggestions::Verdict;
    use crate::domain::Timestamp;

    fn suggestion() -> Suggestion {
        Suggestion {
            id: "s1".into(),
            text: "食堂增加素食".into(),
            department: "行政部".into(),
            author: String::new(),
            at: Timestamp(1),
        }
    }

    #[test]
    fn only_votes_their_voters_delivered_count() {
        // 王芳's device makes the board and votes; 李雷's device writes a vote in her name for
        // another suggestion, one in his own, and withdraws hers.
        let mut wang = create(BOARD).unwrap();
        suggest(&mut wang, &suggestion()).unwrap();
        let mut other = suggestion();
        other.id = "s2".into();
        suggest(&mut wang, &other).unwrap();
        vote(&mut wang, "s1", "wang", true).unwrap();
        let mut li = wang.fork();
        let wang_made: std::collections::HashSet<_> =
            wang.get_changes(&[]).iter().map(|c| c.hash()).collect();
        vote(&mut li, "s2", "wang", true).unwrap();
        vote(&mut li, "s2", "li", true).unwrap();
        vote(&mut li, "s1", "wang", false).unwrap();
        let deliverer = |hash: &automerge::ChangeHash| {
            Some(
                if wang_made.contains(hash) {
                    "wang"
                } else {
                    "li"
                }
                .to_string(),
            )
        };
        let changes = li.get_changes(&[]);
        let counted = counted_votes(&changes, deliverer);
        let voters = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        assert_eq!(counted["s1"], voters(&["wang"]), "her vote stands");
        assert_eq!(counted["s2"], voters(&["li"]), "only his own counts");
        // The content says otherwise: that is what anyone could write.
        let (board, _) = read_board(&li).unwrap();
        assert_eq!(board.votes["s2"], voters(&["li", "wang"]));
        assert!(!board.votes.contains_key("s1"));
        // A change nobody is recorded to have delivered counts for nothing.
        assert!(counted_votes(&changes, |_| None).is_empty());
    }

    #[test]
    fn votes_cast_offline_on_two_devices_each_count_once() {
        // Actor ids are random, so which side wins a conflict varies: try it many times.
        for _ in 0..20 {
            votes_merge_once();
        }
    }

    fn votes_merge_once() {
        let mut a = create(BOARD).unwrap();
        suggest(&mut a, &suggestion()).unwrap();
        let mut b = a.fork();
        vote(&mut a, "s1", "wang", true).unwrap();
        vote(&mut b, "s1", "li", true).unwrap();
        vote(&mut b, "s1", "wang", true).unwrap();
        a.merge(&mut b).unwrap();
        let (board, bad) = read_board(&a).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(board.votes["s1"].len(), 2);
        vote(&mut a, "s1", "li", false).unwrap();
        reply(
            &mut a,
            "s1",
            &Reply {
                verdict: Verdict::Accepted,
                text: "下月起".into(),
                by: "赵六".into(),
                at: Timestamp(2),
            },
        )
        .unwrap();
        let (board, _) = read_board(&a).unwrap();
        assert_eq!(board.votes["s1"].len(), 1);
        assert_eq!(board.replies["s1"].verdict, Verdict::Accepted);
        assert_eq!(board.suggestions["s1"].author, "");
    }

    #[test]
    fn voice_settings_and_entries_round_trip() {
        let mut doc = create(VOICE).unwrap();
        let mut voice = Voice::default();
        voice.rating.sample_percent = 30;
        voice.bulletin.insert(
            "p".into(),
            Post {
                id: "p".into(),
                kind: crate::domain::voice::recognition::PostKind::Announcement,
                title: "服务台上线".into(),
                body: String::new(),
                by: "管理员".into(),
                at: Timestamp(1),
            },
        );
        save_voice(&mut doc, &voice).unwrap();
        assert_eq!(read_voice(&doc).unwrap().0, voice);
        assert!(is_kind(&doc, VOICE));
        assert!(!is_kind(&doc, BOARD));
        assert!(read_workbench(&doc).is_err());
    }
}
