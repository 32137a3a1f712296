//! The Leptos user interface.
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));
