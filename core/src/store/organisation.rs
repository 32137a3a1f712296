//! The kinds of organisation-wide document a desk keeps one of: the directory and the catalog.
//! Each desk settles on one document per kind (see `Desk::choose`); one begun on this desk before
//! it knew the organisation's is folded into the organisation's, so no entry is lost.

use super::{catalog_doc, directory_doc, StoreError};
use automerge::AutoCommit;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    Directory,
    Catalog,
}

impl OrgKind {
    pub const ALL: [OrgKind; 2] = [OrgKind::Directory, OrgKind::Catalog];

    /// The document kind, also the desk's key for the chosen document.
    pub fn name(self) -> &'static str {
        match self {
            OrgKind::Directory => directory_doc::KIND,
            OrgKind::Catalog => catalog_doc::KIND,
        }
    }

    pub(super) fn create(self) -> Result<AutoCommit, StoreError> {
        match self {
            OrgKind::Directory => directory_doc::create(),
            OrgKind::Catalog => catalog_doc::create(),
        }
    }

    pub(super) fn is(self, doc: &AutoCommit) -> bool {
        match self {
            OrgKind::Directory => directory_doc::is_directory(doc),
            OrgKind::Catalog => catalog_doc::is_catalog(doc),
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
        }
    }
}
