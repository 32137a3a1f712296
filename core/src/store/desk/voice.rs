//! The desk's side of the voice of the customer: ratings on tickets, survey responses, and the
//! shared voice, workbench and board documents.

use super::Desk;
use crate::domain::voice::rating::{Candidate, Rating};
use crate::domain::voice::results::{Response, RoundResult};
use crate::domain::voice::suggestions::{Reply, Suggestion};
use crate::domain::{DocumentId, Ticket, TicketDraft, Timestamp};
use crate::store::organisation::OrgKind;
use crate::store::voice_doc::{self, Board, Voice, Workbench, SURVEY_RESULTS, VOTE_COUNTS};
use crate::store::{StoreError, TicketChangeError};
use automerge::{ReadDoc, ROOT};
use std::collections::{BTreeMap, BTreeSet};

impl Desk {
    pub fn voice(&self) -> Voice {
        self.read_chosen(OrgKind::Voice, |d| voice_doc::read_voice(d).map(|v| v.0))
    }

    pub fn workbench(&self) -> Workbench {
        self.read_chosen(OrgKind::Workbench, |d| {
            voice_doc::read_workbench(d).map(|w| w.0)
        })
    }

    /// The suggestion board with the votes that count: as the relay counted them, once it has
    /// (a vote written in someone else's name counts for nothing there), with this person's own
    /// vote as cast on this device, which the relay may not have yet.
    pub fn board(&self) -> Board {
        let mut board: Board =
            self.read_chosen(OrgKind::Board, |d| voice_doc::read_board(d).map(|b| b.0));
        let Some(mut counted) = self.counted_votes() else {
            return board;
        };
        let me = self.person_key();
        for id in board.suggestions.keys() {
            let mine = board.votes.get(id).is_some_and(|v| v.contains(&me));
            let voters = counted.entry(id.clone()).or_default();
            if mine {
                voters.insert(me.clone());
            } else {
                voters.remove(&me);
            }
        }
        counted.retain(|_, voters| !voters.is_empty());
        board.votes = counted;
        board
    }

    /// The voters per suggestion the relay counted, if a relay index says.
    fn counted_votes(&self) -> Option<BTreeMap<String, BTreeSet<String>>> {
        self.docs.relay_indexes.values().find_map(|index| {
            let (automerge::Value::Object(_), map) = index.get(&ROOT, VOTE_COUNTS).ok()?? else {
                return None;
            };
            let counted = index.map_range(&map, ..).filter_map(|item| {
                let automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) = item.value
                else {
                    return None;
                };
                Some((item.key.to_string(), serde_json::from_str(&text).ok()?))
            });
            Some(counted.collect())
        })
    }

    fn read_chosen<T: Default>(
        &self,
        kind: OrgKind,
        read: impl FnOnce(&automerge::AutoCommit) -> Result<T, StoreError>,
    ) -> T {
        self.docs
            .chosen(kind)
            .and_then(|doc| read(doc).ok())
            .unwrap_or_default()
    }

    pub fn save_voice(
        &mut self,
        wanted: &Voice,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Voice, new_id, |doc| {
            voice_doc::save_voice(doc, wanted)
        })
    }

    pub fn save_workbench(
        &mut self,
        wanted: &Workbench,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Workbench, new_id, |doc| {
            voice_doc::save_workbench(doc, wanted)
        })
    }

    pub fn suggest(
        &mut self,
        suggestion: &Suggestion,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Board, new_id, |doc| {
            voice_doc::suggest(doc, suggestion)
        })
    }

    /// Casts or withdraws this person's vote.
    pub fn vote(
        &mut self,
        suggestion: &str,
        on: bool,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        let voter = self.person_key();
        self.edit_organisation(OrgKind::Board, new_id, |doc| {
            voice_doc::vote(doc, suggestion, &voter, on)
        })
    }

    pub fn reply_to_suggestion(
        &mut self,
        suggestion: &str,
        reply: &Reply,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Board, new_id, |doc| {
            voice_doc::reply(doc, suggestion, reply)
        })
    }

    /// Who this person is for votes: their account, or their name on a desk without one.
    pub fn person_key(&self) -> String {
        let profile = self.profile();
        profile
            .as_ref()
            .and_then(|p| p.account.as_ref())
            .map(|a| a.person.0.clone())
            .or_else(|| profile.map(|p| p.name))
            .unwrap_or_default()
    }

    /// Whether this person requested a ticket (and so may rate it).
    pub fn is_requester(&self, ticket: &Ticket) -> bool {
        let Some(me) = self.profile() else {
            return false;
        };
        match me.account {
            // Signed in: as the relay has it (it takes the rating only from the request's owner).
            Some(_) => self.asked_for(ticket),
            // A desk of one's own: by name.
            None => ticket.requester == me.name,
        }
    }

    /// Rates a resolved ticket. When `follow_up` returns a draft (a low score), the follow-up
    /// ticket is filed in the same step, so it is opened exactly once with the rating.
    pub fn rate(
        &mut self,
        id: DocumentId,
        score: i64,
        comment: &str,
        now: Timestamp,
        follow_up: impl FnOnce(&Ticket, &Rating) -> Option<(DocumentId, TicketDraft)>,
    ) -> Result<Rating, TicketChangeError> {
        let by = self.actor();
        let ticket = self.open_ticket(id)?.read()?;
        let is_requester = self.is_requester(&ticket);
        let rating = self
            .open_ticket(id)?
            .rate(score, comment, (&by, is_requester), now)?;
        self.changed_here(id)?;
        if let Some((follow_id, draft)) = follow_up(&ticket, &rating) {
            self.create_ticket(follow_id, &draft, now)
                .map_err(|e| match e {
                    super::CreateError::Store(e) => TicketChangeError::Store(e),
                    _ => TicketChangeError::Store(StoreError::Invalid("follow-up")),
                })?;
        }
        Ok(rating)
    }

    /// Records that the requester was asked to rate a ticket (or reminded).
    pub fn note_rating_request(
        &mut self,
        id: DocumentId,
        reminder: bool,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        self.open_ticket(id)?.note_rating_request(reminder, now)?;
        self.changed_here(id)?;
        Ok(())
    }

    /// This person's resolved requests, as far as asking for ratings goes.
    pub fn rating_candidates(&self) -> Vec<Candidate> {
        let Some(me) = self.profile() else {
            return Vec::new();
        };
        let email = me
            .account
            .as_ref()
            .map(|a| a.email.clone())
            .unwrap_or_default();
        self.rows
            .iter()
            .map(|(row, _)| row)
            .filter(|r| r.requester == me.name || (!email.is_empty() && r.requester_email == email))
            .map(|r| Candidate {
                id: r.id,
                status: r.status,
                resolved_at: r.resolved_at(),
                feedback: r.feedback.clone(),
            })
            .collect()
    }

    /// Answers a survey: a new document, this person's alone, that the relay sums up.
    pub fn answer_survey(&mut self, id: DocumentId, response: &Response) -> Result<(), StoreError> {
        let doc = voice_doc::create_response(response)?;
        self.docs.responses.insert(id, doc);
        self.docs.desk.add_response(id)?;
        self.changed_here(id)
    }

    /// The surveys and rounds this device has answered.
    pub fn my_responses(&self) -> Vec<Response> {
        self.docs
            .responses
            .values()
            .filter_map(|doc| voice_doc::read_response(doc).ok())
            .collect()
    }

    /// Survey results as the relay last summed them up (survey id → rounds, oldest first): live
    /// for open surveys, published per closed round for confidential ones.
    pub fn survey_results(&self) -> BTreeMap<String, Vec<RoundResult>> {
        let mut results = self.live_survey_results();
        let mut published: BTreeMap<(String, u32), voice_doc::Publication> = BTreeMap::new();
        for doc in self.docs.organisation.values() {
            let Ok(publication) = voice_doc::read_publication(doc) else {
                continue;
            };
            let key = (publication.survey.clone(), publication.round);
            // The one with the released free text supersedes the first.
            if published.get(&key).is_none_or(|kept| !kept.texts_released) {
                published.insert(key, publication);
            }
        }
        for ((survey, _), publication) in published {
            let rounds: &mut Vec<RoundResult> = results.entry(survey).or_default();
            rounds.retain(|r| r.round != publication.round);
            rounds.push(publication.result);
            rounds.sort_by_key(|r| r.round);
        }
        results
    }

    fn live_survey_results(&self) -> BTreeMap<String, Vec<RoundResult>> {
        let mut results = BTreeMap::new();
        for index in self.docs.relay_indexes.values() {
            let Ok(Some((automerge::Value::Object(_), map))) = index.get(&ROOT, SURVEY_RESULTS)
            else {
                continue;
            };
            for item in index.map_range(&map, ..) {
                if let automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(text)) =
                    item.value
                {
                    if let Ok(rounds) = serde_json::from_str(&text) {
                        results.insert(item.key.to_string(), rounds);
                    }
                }
            }
        }
        results
    }
}
