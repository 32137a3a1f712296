//! Schema migrations that every device makes identically.
//!
//! A document of an older schema is brought up to date by the first device that writes to it, and
//! devices migrate offline, so two of them may migrate the same document apart. Were each to make
//! its own change, two new containers would sit under one key and one of them, with whatever was
//! put in it, would be lost in the merge. So a step is made as *the same change* everywhere: on a
//! fork at the change that wrote the schema it starts from, by an actor named after the step, at
//! time zero. Its hash is then the same on every device and Automerge keeps it once.
//!
//! A step may therefore read only what the document held when the old schema was written; whatever
//! came later is read through the old fields, as the readers of each kind do.

use super::StoreError;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ReadDoc, ROOT};

/// One schema step: what it takes to go from `to - 1` to `to`.
pub(super) struct Step {
    pub to: i64,
    pub apply: fn(&mut AutoCommit) -> Result<(), StoreError>,
}

/// Brings `doc` up to the last step's schema.
pub(super) fn migrate(doc: &mut AutoCommit, kind: &str, steps: &[Step]) -> Result<(), StoreError> {
    for step in steps {
        let Some((schema, written)) = doc.get(ROOT, "schema")? else {
            return Err(StoreError::Missing("schema"));
        };
        let schema = schema.as_i64().ok_or(StoreError::Invalid("schema"))?;
        if schema >= step.to {
            continue;
        }
        let base = doc
            .hash_for_opid(&written)
            .ok_or(StoreError::Invalid("schema"))?;
        let mut fork = doc.fork_at(&[base])?;
        fork.set_actor(ActorId::from(
            format!("innerdesk-migration:{kind}:{}", step.to).as_bytes(),
        ));
        (step.apply)(&mut fork)?;
        fork.put(ROOT, "schema", step.to)?;
        let options = CommitOptions::default()
            .with_time(0)
            .with_message(format!("{kind}: schema {}", step.to));
        fork.commit_with(options);
        let change = fork
            .get_last_local_change()
            .ok_or(StoreError::Invalid("schema"))?;
        doc.apply_changes([change])?;
    }
    Ok(())
}
