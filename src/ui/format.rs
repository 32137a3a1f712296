//! Dates and times in the user's locale and time zone, through the browser's `Intl`.

use super::i18n::Locale;
use super::labels::locale_tag;
use crate::domain::Timestamp;
use js_sys::{Array, Intl, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

thread_local! {
    // Building an Intl formatter is slow; lists format hundreds of dates per render.
    static FORMATTERS: RefCell<Vec<(Locale, Intl::DateTimeFormat)>> = const { RefCell::new(Vec::new()) };
}

fn formatter(locale: Locale) -> Intl::DateTimeFormat {
    FORMATTERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, f)) = cache.iter().find(|(l, _)| *l == locale) {
            return f.clone();
        }
        let options = Object::new();
        let _ = Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        let _ = Reflect::set(&options, &"timeStyle".into(), &"short".into());
        let f = Intl::DateTimeFormat::new(&Array::of1(&locale_tag(locale).into()), &options);
        cache.push((locale, f.clone()));
        f
    })
}

/// e.g. "26 Nov 2026, 21:30" or "2026年11月26日 21:30".
pub fn date_time(locale: Locale, at: Timestamp) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    formatter(locale)
        .format()
        .call1(&JsValue::NULL, &date)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The machine-readable form for `<time datetime>`.
pub fn iso(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.0)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}
