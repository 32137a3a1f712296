//! Survey results: the relay reads every response (documents only their authors read), sums them
//! up per survey with the domain's confidentiality rules, and publishes the results to everyone.
//! So an organisation learns what its people think without anyone, admins included, reading one
//! person's answers to a confidential survey.
//!
//! A survey that is not confidential is summed up live into the index everyone reads. A
//! confidential one is published per round, once the round has closed, into a document of its
//! own written once (so no history holds an earlier version to compare with): answers that reach
//! the relay later are not counted. Its free text is kept here, in the data folder, until an
//! administrator releases it; then a second publication of the round carries the same figures
//! with the text.

use crate::feeds::Feeds;
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};
use innerdesk_core::access::{Audience, DocFacts, PersonId};
use innerdesk_core::domain::voice::results::{
    hold_texts, publishable_rounds, summarise, summarise_one_round, Response, RoundResult,
};
use innerdesk_core::domain::voice::survey::Survey;
use innerdesk_core::domain::DocumentId;
use innerdesk_core::store::ticket_index;
use innerdesk_core::store::voice_doc::{
    publication_id, read_response, read_voice, write_publication, Publication, SURVEY_RESULTS,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How often the relay looks for rounds that have closed.
const ROUNDS_CHECKED_EVERY: Duration = Duration::from_secs(300);

/// What the relay knows of surveys: their definitions (from the organisation's `voice`
/// document) and, per survey, the responses read so far.
#[derive(Default)]
pub struct SurveyBook {
    inner: Mutex<Book>,
}

#[derive(Default)]
struct Book {
    /// The voice document the definitions come from (the lowest id, should there be two).
    source: Option<DocumentId>,
    definitions: BTreeMap<String, Survey>,
    responses: HashMap<String, HashMap<DocumentId, Response>>,
    /// Surveys whose responses have all been read from storage since the relay started.
    complete: HashSet<String>,
}

impl Feeds {
    /// The organisation's `voice` document changed: surveys whose definition changed (or that
    /// are new) are summed up again.
    pub(crate) async fn voice_changed(&self, doc: DocumentId) -> std::io::Result<bool> {
        let read = self.hub().read(doc, |d| read_voice(d).ok().map(|(v, _)| v));
        let Some(Some(voice)) = read.await.map_err(std::io::Error::other)? else {
            return Ok(false);
        };
        let (changed, removed): (Vec<String>, Vec<String>) = {
            let mut book = self.surveys().inner.lock().await;
            if book.source.is_some_and(|current| current < doc) {
                return Ok(true);
            }
            book.source = Some(doc);
            let changed = voice
                .surveys
                .iter()
                .filter(|(id, s)| book.definitions.get(*id) != Some(s))
                .map(|(id, _)| id.clone())
                .collect();
            let removed = book
                .definitions
                .keys()
                .filter(|id| !voice.surveys.contains_key(*id))
                .cloned()
                .collect();
            book.definitions = voice.surveys;
            (changed, removed)
        };
        for survey in changed {
            self.publish(&survey).await?;
        }
        // A survey taken down takes its results with it.
        for survey in removed {
            self.write_results(&survey, None).await?;
        }
        Ok(true)
    }

    /// A response arrived or changed: its survey's results are summed up again.
    pub(crate) async fn response_changed(
        &self,
        doc: DocumentId,
        owner: &PersonId,
        survey: &str,
    ) -> std::io::Result<()> {
        if let Some(response) = self.read_response(doc, owner).await? {
            let mut book = self.surveys().inner.lock().await;
            book.responses
                .entry(survey.to_string())
                .or_default()
                .insert(doc, response);
        }
        self.publish(survey).await
    }

    async fn read_response(
        &self,
        doc: DocumentId,
        owner: &PersonId,
    ) -> std::io::Result<Option<Response>> {
        let read = self.hub().read(doc, |d| read_response(d).ok());
        let Some(Some(mut response)) = read.await.map_err(std::io::Error::other)? else {
            return Ok(None);
        };
        // Who answered is what the relay knows, never what the document claims.
        response.respondent = owner.0.clone();
        response.department = self
            .shared()
            .people
            .read()
            .unwrap()
            .get(owner)
            .map(|p| self.shared().current_queue(&p.department))
            .unwrap_or_default();
        Ok(Some(response))
    }

    /// Sums up a survey's responses and publishes the results: live, or, for a confidential
    /// survey, each closed round once.
    async fn publish(&self, survey: &str) -> std::io::Result<()> {
        self.read_all_responses(survey).await?;
        let (definition, responses) = {
            let book = self.surveys().inner.lock().await;
            let Some(definition) = book.definitions.get(survey).cloned() else {
                return Ok(());
            };
            let responses: Vec<Response> = book
                .responses
                .get(survey)
                .map(|r| r.values().cloned().collect())
                .unwrap_or_default();
            (definition, responses)
        };
        if definition.confidential {
            // Live figures of a survey made confidential since go.
            self.write_results(survey, None).await?;
            let today = chrono::Utc::now().date_naive();
            for round in publishable_rounds(&definition, today) {
                self.publish_round(&definition, round, &responses).await?;
            }
            return Ok(());
        }
        let results = summarise(&definition, &responses);
        let text = serde_json::to_string(&results).map_err(std::io::Error::other)?;
        self.write_results(survey, Some(&text)).await
    }

    /// Publishes a closed round of a confidential survey, unless it is published already: first
    /// with its free text held back, then, once an administrator releases it, with the text.
    /// Both carry the figures summed up the first time.
    async fn publish_round(
        &self,
        survey: &Survey,
        round: u32,
        responses: &[Response],
    ) -> std::io::Result<()> {
        self.publish_once(survey, round, false, || {
            let mut result = summarise_one_round(survey, round, responses);
            self.keep_held_texts(survey, round, &result)?;
            hold_texts(&mut result);
            Ok(result)
        })
        .await?;
        if survey.texts_released.contains(&round) {
            self.publish_once(survey, round, true, || self.held_texts(survey, round))
                .await?;
        }
        Ok(())
    }

    async fn publish_once(
        &self,
        survey: &Survey,
        round: u32,
        texts_released: bool,
        result: impl FnOnce() -> std::io::Result<RoundResult>,
    ) -> std::io::Result<()> {
        let id = publication_id(&survey.id, round, texts_released);
        let registry = &self.shared().registry;
        if registry.facts(id).is_some() {
            return Ok(());
        }
        let publication = Publication {
            survey: survey.id.clone(),
            round,
            texts_released,
            result: result()?,
        };
        // Readable by everyone, written by the relay alone: the facts of an index for everyone.
        registry.record(
            id,
            DocFacts::Index {
                audience: Audience::Everyone,
            },
        )?;
        self.hub()
            .change(id, |d| {
                let _ = d.transact(|tx| write_publication(tx, &publication));
            })
            .await
            .map_err(std::io::Error::other)?;
        // Whoever asked for it before it existed is sent it now.
        self.hub().access_changed(id).await;
        let index = self.index(&Audience::Everyone).await?;
        self.hub()
            .change(index, |d| {
                let _ = d.transact(|tx| ticket_index::announce(tx, id));
            })
            .await
            .map_err(std::io::Error::other)?;
        tracing::info!(survey = %survey.id, round, texts_released, %id, "published a survey round");
        Ok(())
    }

    /// Where a round's figures with their free text wait for release: the relay's own folder,
    /// which holds every response anyway.
    fn held_path(&self, survey: &Survey, round: u32) -> PathBuf {
        let id = publication_id(&survey.id, round, true);
        self.shared()
            .data_dir
            .join("held-texts")
            .join(format!("{id}.json"))
    }

    fn keep_held_texts(
        &self,
        survey: &Survey,
        round: u32,
        result: &RoundResult,
    ) -> std::io::Result<()> {
        let path = self.held_path(survey, round);
        std::fs::create_dir_all(path.parent().expect("in a folder"))?;
        let temporary = path.with_extension("json.new");
        std::fs::write(&temporary, serde_json::to_vec(result)?)?;
        std::fs::rename(&temporary, &path)
    }

    fn held_texts(&self, survey: &Survey, round: u32) -> std::io::Result<RoundResult> {
        let bytes = std::fs::read(self.held_path(survey, round))?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// Publishes rounds as they close, checking every few minutes for as long as the relay runs.
    pub async fn publish_closed_rounds(self: Arc<Self>) {
        let mut every = tokio::time::interval(ROUNDS_CHECKED_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let confidential: Vec<String> = {
                let book = self.surveys().inner.lock().await;
                (book.definitions.values())
                    .filter(|s| s.confidential)
                    .map(|s| s.id.clone())
                    .collect()
            };
            for survey in confidential {
                if let Err(e) = self.publish(&survey).await {
                    tracing::warn!(%survey, error = %e, "could not publish a closed round");
                }
            }
        }
    }

    /// Writes (or with `None` removes) a survey's results in the index everyone reads.
    async fn write_results(&self, survey: &str, text: Option<&str>) -> std::io::Result<()> {
        let index = self.index(&Audience::Everyone).await?;
        self.hub()
            .change(index, |d| {
                let _ = d.transact(|tx| {
                    let map = match tx.get(ROOT, SURVEY_RESULTS)? {
                        Some((automerge::Value::Object(ObjType::Map), id)) => id,
                        _ => tx.put_object(ROOT, SURVEY_RESULTS, ObjType::Map)?,
                    };
                    let current = match tx.get(&map, survey)? {
                        Some((automerge::Value::Scalar(s), _)) => s.as_str().map(str::to_string),
                        _ => None,
                    };
                    match text {
                        Some(text) if current.as_deref() != Some(text) => {
                            tx.put(&map, survey, text)?
                        }
                        None if current.is_some() => tx.delete(&map, survey)?,
                        _ => {}
                    }
                    Ok::<_, automerge::AutomergeError>(())
                });
            })
            .await
            .map_err(std::io::Error::other)
    }

    /// After a restart the book starts empty: the first time a survey is summed up, every one of
    /// its responses is read from storage.
    async fn read_all_responses(&self, survey: &str) -> std::io::Result<()> {
        if self.surveys().inner.lock().await.complete.contains(survey) {
            return Ok(());
        }
        let docs: Vec<(DocumentId, PersonId)> =
            self.shared().registry.matching_facts(|f| match f {
                DocFacts::Response { owner, survey: s } if s == survey => Some(owner.clone()),
                _ => None,
            });
        let mut read = HashMap::new();
        for (doc, owner) in docs {
            if let Some(response) = self.read_response(doc, &owner).await? {
                read.insert(doc, response);
            }
        }
        let mut book = self.surveys().inner.lock().await;
        book.responses
            .entry(survey.to_string())
            .or_default()
            .extend(read);
        book.complete.insert(survey.to_string());
        Ok(())
    }
}
