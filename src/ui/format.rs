//! Dates and times in the user's locale and time zone, through the browser's `Intl`.

use super::i18n::Locale;
use super::labels::locale_tag;
use crate::domain::Timestamp;
use js_sys::{Array, Intl, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

thread_local! {
    // Building an Intl formatter is slow; lists format hundreds of dates per render.
    static FORMATTERS: RefCell<Vec<(Locale, bool, Intl::DateTimeFormat)>> = const { RefCell::new(Vec::new()) };
}

fn formatter(locale: Locale, with_time: bool) -> Intl::DateTimeFormat {
    FORMATTERS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, _, f)) = cache
            .iter()
            .find(|(l, t, _)| *l == locale && *t == with_time)
        {
            return f.clone();
        }
        let options = Object::new();
        let _ = Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        if with_time {
            let _ = Reflect::set(&options, &"timeStyle".into(), &"short".into());
        }
        let f = Intl::DateTimeFormat::new(&Array::of1(&locale_tag(locale).into()), &options);
        cache.push((locale, with_time, f.clone()));
        f
    })
}

fn format(locale: Locale, at: Timestamp, with_time: bool) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(at.0 as f64));
    formatter(locale, with_time)
        .format()
        .call1(&JsValue::NULL, &date)
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// e.g. "26 Nov 2026, 21:30" or "2026年11月26日 21:30".
pub fn date_time(locale: Locale, at: Timestamp) -> String {
    format(locale, at, true)
}

/// e.g. "26 Nov 2026" or "2026年11月26日".
pub fn date(locale: Locale, at: Timestamp) -> String {
    format(locale, at, false)
}

/// Today in the form `<input type="date">` uses, in the user's time zone.
pub fn today_input() -> String {
    let now = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        now.get_full_year(),
        now.get_month() + 1,
        now.get_date()
    )
}

/// The start (local midnight) of a day typed in `<input type="date">`.
pub fn day_start(input: &str) -> Option<Timestamp> {
    let day = chrono::NaiveDate::parse_from_str(input, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    let local = js_sys::Date::new_with_year_month_day(
        day.year() as u32,
        day.month0() as i32,
        day.day() as i32,
    );
    Some(Timestamp(local.get_time() as i64))
}

/// The machine-readable form for `<time datetime>`.
pub fn iso(at: Timestamp) -> String {
    chrono::DateTime::from_timestamp_millis(at.0)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default()
}
