//! Survey results: the relay reads every response (documents only their authors read), sums them
//! up per survey with the domain's confidentiality rules, and writes the results into the index
//! everyone reads. So an organisation learns what its people think without anyone, admins
//! included, reading one person's answers to a confidential survey.

use crate::feeds::Feeds;
use automerge::transaction::Transactable;
use automerge::{ObjType, ReadDoc, ROOT};
use innerdesk_core::access::{Audience, DocFacts, PersonId};
use innerdesk_core::domain::voice::results::{summarise, Response};
use innerdesk_core::domain::voice::survey::Survey;
use innerdesk_core::domain::DocumentId;
use innerdesk_core::store::voice_doc::{read_response, read_voice, SURVEY_RESULTS};
use std::collections::{BTreeMap, HashMap, HashSet};
use tokio::sync::Mutex;

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

    /// Sums up a survey's responses and writes the results to the index everyone reads.
    async fn publish(&self, survey: &str) -> std::io::Result<()> {
        self.read_all_responses(survey).await?;
        let results = {
            let book = self.surveys().inner.lock().await;
            let Some(definition) = book.definitions.get(survey) else {
                return Ok(());
            };
            let responses: Vec<Response> = book
                .responses
                .get(survey)
                .map(|r| r.values().cloned().collect())
                .unwrap_or_default();
            summarise(definition, &responses)
        };
        let text = serde_json::to_string(&results).map_err(std::io::Error::other)?;
        self.write_results(survey, Some(&text)).await
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
