//! The kinds of organisation-wide document a desk keeps one of: the directory, the catalog, and
//! the voice of the customer's three (configuration, staff workbench, suggestion board).
//! Each desk settles on one document per kind (see `Desk::choose`); one begun on this desk before
//! it knew the organisation's is folded into the organisation's, so no entry is lost.

use super::voice_doc::{self, BOARD, VOICE, WORKBENCH};
use super::{automation_doc, catalog_doc, directory_doc, StoreError};
use automerge::AutoCommit;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    Directory,
    Catalog,
    Voice,
    Workbench,
    Board,
    Automation,
}

impl OrgKind {
    pub const ALL: [OrgKind; 6] = [
        OrgKind::Directory,
        OrgKind::Catalog,
        OrgKind::Voice,
        OrgKind::Workbench,
        OrgKind::Board,
        OrgKind::Automation,
    ];

    /// The document kind, also the desk's key for the chosen document.
    pub fn name(self) -> &'static str {
        match self {
            OrgKind::Directory => directory_doc::KIND,
            OrgKind::Catalog => catalog_doc::KIND,
            OrgKind::Voice => VOICE,
            OrgKind::Workbench => WORKBENCH,
            OrgKind::Board => BOARD,
            OrgKind::Automation => automation_doc::KIND,
        }
    }

    pub(super) fn create(self) -> Result<AutoCommit, StoreError> {
        match self {
            OrgKind::Directory => directory_doc::create(),
            OrgKind::Catalog => catalog_doc::create(),
            OrgKind::Automation => automation_doc::create(),
            kind => voice_doc::create(kind.name()),
        }
    }

    pub(super) fn is(self, doc: &AutoCommit) -> bool {
        match self {
            OrgKind::Directory => directory_doc::is_directory(doc),
            OrgKind::Catalog => catalog_doc::is_catalog(doc),
            OrgKind::Automation => automation_doc::is_automation(doc),
            kind => voice_doc::is_kind(doc, kind.name()),
        }
    }

    /// Writes into `into` what `earlier` has and it lacks.
    pub(super) fn fold(
        self,
        into: &mut AutoCommit,
        earlier: &AutoCommit,
    ) -> Result<(), StoreError> {
        match self {
            OrgKind::Directory => {
                let (mut combined, _) = directory_doc::read_directory(into)?;
                combined.absorb(directory_doc::read_directory(earlier)?.0);
                directory_doc::save_directory(into, &combined)
            }
            OrgKind::Catalog => {
                let (mut combined, _) = catalog_doc::read_catalog(into)?;
                combined.absorb(catalog_doc::read_catalog(earlier)?.0);
                catalog_doc::save_catalog(into, &combined)
            }
            OrgKind::Automation => {
                let (mut combined, _) = automation_doc::read_automation(into)?;
                combined.absorb(automation_doc::read_automation(earlier)?.0);
                automation_doc::save_automation(into, &combined)
            }
            OrgKind::Voice => {
                let (mut combined, _) = voice_doc::read_voice(into)?;
                let (older, _) = voice_doc::read_voice(earlier)?;
                absorb(&mut combined.surveys, older.surveys);
                absorb(&mut combined.awards, older.awards);
                absorb(&mut combined.bulletin, older.bulletin);
                voice_doc::save_voice(into, &combined)
            }
            OrgKind::Workbench => {
                let (mut combined, _) = voice_doc::read_workbench(into)?;
                let (older, _) = voice_doc::read_workbench(earlier)?;
                absorb(&mut combined.interviews, older.interviews);
                absorb(&mut combined.needs, older.needs);
                absorb(&mut combined.plans, older.plans);
                voice_doc::save_workbench(into, &combined)
            }
            OrgKind::Board => {
                let (older, _) = voice_doc::read_board(earlier)?;
                let (current, _) = voice_doc::read_board(into)?;
                for (id, s) in older.suggestions {
                    if !current.suggestions.contains_key(&id) {
                        voice_doc::suggest(into, &s)?;
                    }
                }
                for (id, voters) in older.votes {
                    for voter in voters {
                        voice_doc::vote(into, &id, &voter, true)?;
                    }
                }
                for (id, reply) in older.replies {
                    if !current.replies.contains_key(&id) {
                        voice_doc::reply(into, &id, &reply)?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Adds the entries `into` lacks.
fn absorb<T>(into: &mut BTreeMap<String, T>, older: BTreeMap<String, T>) {
    for (id, entry) in older {
        into.entry(id).or_insert(entry);
    }
}
