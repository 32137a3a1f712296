//! SVG charts, each with the same figures as a table: hidden from the eye but read by screen
//! readers, and shown on request.

use crate::domain::measure::forecast::Point;
use crate::ui::i18n::*;
use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;

/// A chart and its table alternative under one caption.
#[component]
pub fn Chart(
    id: &'static str,
    caption: Signal<String>,
    svg: AnyView,
    table: AnyView,
) -> impl IntoView {
    let i18n = use_i18n();
    let shown = RwSignal::new(false);
    let table_id = format!("{id}-table");
    view! {
        <figure class="chart" id=id>
            <figcaption>{caption}</figcaption>
            {svg}
            <button type="button" class="link-button no-print" aria-expanded=move || shown.get().to_string()
                aria-controls=table_id.clone() on:click=move |_| shown.update(|s| *s = !*s)>
                {move || if shown.get() { t_string!(i18n, measure.hide_table) } else { t_string!(i18n, measure.show_table) }}
            </button>
            <div id=table_id class=move || if shown.get() { "chart-table" } else { "chart-table visually-hidden" }>{table}</div>
        </figure>
    }
}

/// The top of an axis: a round number at or above the largest value.
fn axis_top(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(max.log10().floor());
    (max / step).ceil() * step
}

fn y_of(value: f64, top: f64) -> f64 {
    TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - value / top)
}

/// Vertical bars with a label under each (every few labels when there are many).
pub fn bars(values: &[(String, f64)]) -> AnyView {
    let top = axis_top(values.iter().map(|(_, v)| *v).fold(0.0, f64::max));
    let slot = (WIDTH - LEFT) / values.len().max(1) as f64;
    let label_every = (values.len() / 12).max(1);
    let bars = values
        .iter()
        .enumerate()
        .map(|(i, (label, v))| {
            let x = LEFT + slot * i as f64;
            let y = y_of(*v, top);
            let text = (i % label_every == 0).then(|| {
                view! { <text x=x + slot / 2.0 y=HEIGHT - 8.0 text-anchor="middle" class="axis-label">{label.clone()}</text> }
            });
            view! {
                <rect x=x + slot * 0.15 y=y width=slot * 0.7 height=(HEIGHT - BOTTOM - y).max(0.0) class="column"/>
                {text}
            }
        })
        .collect_view();
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="chart-svg" aria-hidden="true" focusable="false">
            {axis(top)}
            {bars}
        </svg>
    }
    .into_any()
}

fn axis(top: f64) -> impl IntoView {
    view! {
        <line x1=LEFT y1=TOP x2=LEFT y2=HEIGHT - BOTTOM class="axis"/>
        <line x1=LEFT y1=HEIGHT - BOTTOM x2=WIDTH y2=HEIGHT - BOTTOM class="axis"/>
        <text x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end" class="axis-label">{format!("{top:.0}")}</text>
        <text x=LEFT - 6.0 y=HEIGHT - BOTTOM text-anchor="end" class="axis-label">"0"</text>
    }
}

/// Weekly history as a line, the forecast as a dashed line inside its shaded interval.
pub fn forecast_lines(
    history: &[f64],
    forecast: &[Point],
    first_label: &str,
    split_label: &str,
) -> AnyView {
    let n = history.len() + forecast.len();
    let top = axis_top(
        history
            .iter()
            .copied()
            .chain(forecast.iter().map(|p| p.high))
            .fold(0.0, f64::max),
    );
    let step = (WIDTH - LEFT) / (n.max(2) - 1) as f64;
    let x = |i: usize| LEFT + step * i as f64;
    let path = |points: &mut dyn Iterator<Item = (usize, f64)>| {
        points
            .map(|(i, v)| format!("{:.1},{:.1}", x(i), y_of(v, top)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let h = history.len();
    let band_top = path(&mut forecast.iter().enumerate().map(|(i, p)| (h + i, p.high)));
    let band_bottom = path(
        &mut forecast
            .iter()
            .enumerate()
            .rev()
            .map(|(i, p)| (h + i, p.low)),
    );
    let past = path(&mut history.iter().copied().enumerate());
    let ahead = path(
        &mut history
            .last()
            .map(|v| (h - 1, *v))
            .into_iter()
            .chain(forecast.iter().enumerate().map(|(i, p)| (h + i, p.mean))),
    );
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") class="chart-svg" aria-hidden="true" focusable="false">
            {axis(top)}
            <polygon points=format!("{band_top} {band_bottom}") class="interval"/>
            <polyline points=past class="history"/>
            <polyline points=ahead class="forecast"/>
            <line x1=x(h) y1=TOP x2=x(h) y2=HEIGHT - BOTTOM class="now-line"/>
            <text x=LEFT y=HEIGHT - 8.0 class="axis-label">{first_label.to_string()}</text>
            <text x=x(h) y=HEIGHT - 8.0 text-anchor="middle" class="axis-label">{split_label.to_string()}</text>
        </svg>
    }
    .into_any()
}
