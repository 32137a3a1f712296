//! What the Innerdesk page and relay share: pure rules ([`domain`]), domain types in Automerge
//! documents ([`store`]), document bytes in chunks ([`storage`]), the automerge-repo protocol
//! ([`sync`]) and who may read and write which document ([`access`]). Nothing here touches a
//! browser, a socket or a clock.

pub mod access;
pub mod csv;
pub mod domain;
pub mod storage;
pub mod store;
pub mod sync;
