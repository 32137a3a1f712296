//! Innerdesk: a local-first service desk for the internal customers of an organisation.
//!
//! Layers, from the bottom: [`domain`] (pure rules), [`store`] (domain types in Automerge documents),
//! [`storage`] (document bytes in IndexedDB or memory) and [`ui`] (Leptos components).

pub mod domain;
pub mod storage;
pub mod store;
pub mod ui;
