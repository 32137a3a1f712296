//! The Leptos user interface. Components read signals from [`state::AppState`] and call its actions;
//! no business rule lives here.

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

mod app;
mod audit;
mod automation;
mod banner;
mod catalog;
mod catalog_messages;
mod customers;
mod devices;
mod directory;
mod files;
mod format;
mod header;
mod knowledge;
mod labels;
mod measure;
mod period;
mod profile_form;
mod route;
mod search_form;
mod service_editor;
mod service_levels;
mod sign_in;
mod sign_out;
mod sla_settings;
mod sla_timeline;
mod socket;
mod state;
mod sync;
mod ticket_detail;
mod ticket_form;
mod ticket_list;
mod voice;

pub use app::App;

/// Starts the page: mounts the app on `<body>` and registers the service worker for offline use.
pub fn start() {
    console_error_panic_hook::set_once();
    register_service_worker();
    leptos::mount::mount_to_body(App);
}

fn register_service_worker() {
    let Some(window) = web_sys::window() else {
        return;
    };
    // The worker file sits beside index.html, so a page served from a sub-path still finds it.
    let container = window.navigator().service_worker();
    let _ = container.register("sw.js");
}
