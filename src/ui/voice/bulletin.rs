//! Recognition and transparency: the awards of the last quarter by the organisation's rules, the
//! bulletin everyone reads, and the suggestion box (anonymous to colleagues if wished; voted on;
//! answered by the department it is for).

use super::report::{subject_name, use_report};
use super::{department_choices, period, period_name, today, use_voice, Span, VoiceNav};
use crate::domain::catalog::Text;
use crate::domain::voice::recognition::{
    awards, AwardLevel, AwardMetric, AwardRule, Post, PostKind,
};
use crate::domain::voice::suggestions::{by_votes, Reply, Suggestion, SuggestionError, Verdict};
use crate::domain::TicketSummary;
use crate::ui::directory::{department_name, use_directory};
use crate::ui::format::date_time;
use crate::ui::i18n::*;
use crate::ui::service_levels::use_service_levels;
use crate::ui::state::{new_id, now, AppState};
use leptos::prelude::*;
use std::collections::BTreeSet;

#[component]
pub fn BulletinPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="voice-page bulletin-page">
            <VoiceNav/>
            <h1>{t!(i18n, voice.bulletin_title)}</h1>
            <Awards/>
            <Bulletin/>
            <SuggestionBox/>
        </section>
    }
}

fn metric_label(l: Locale, m: AwardMetric) -> &'static str {
    match m {
        AwardMetric::MeanRating => td_string!(l, voice.metric_mean_rating),
        AwardMetric::Resolved => td_string!(l, voice.metric_resolved),
        AwardMetric::ResponseRate => td_string!(l, voice.metric_response_rate),
    }
}

/// The winners of the last full quarter, and for administrators the rules.
#[component]
fn Awards() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let directory = use_directory();
    let catalog = use_service_levels().catalog;
    let (quarter, start) = period(Span::Quarter, 1, today());
    let report = use_report(state, Signal::derive(move || quarter));
    let winners = move || {
        let rules: Vec<AwardRule> = voice.with(|v| v.awards.values().cloned().collect());
        let won = report.with(|r| {
            state.read(|d| {
                let rows: Vec<&TicketSummary> = d.rows().iter().map(|(s, _)| s).collect();
                awards(&rules, r, &rows, quarter)
            })
        });
        if won.is_empty() {
            return view! { <p class="empty">{t!(i18n, voice.no_awards)}</p> }.into_any();
        }
        let zh = i18n.get_locale() == Locale::zh_CN;
        let l = i18n.get_locale();
        let items = won.into_iter().map(|a| {
            let rule = rules.iter().find(|r| r.id == a.rule).cloned();
            let name = rule.as_ref().map(|r| r.name.show(zh).to_string()).unwrap_or_default();
            let who = directory.with(|d| catalog.with(|c| subject_name(&a.subject, d, c, zh)));
            let value = match rule.map(|r| r.metric) {
                Some(AwardMetric::MeanRating) => format!("{:.1} / 5", a.value),
                Some(AwardMetric::ResponseRate) => format!("{:.0}%", a.value * 100.0),
                _ => format!("{}", a.value),
            };
            let basis = td_string!(l, voice.award_basis, n = a.basis).to_string();
            view! {
                <li class="award">
                    <p class="award-name">"🏆 "{name}</p>
                    <p class="award-winner"><strong>{who}</strong>" · "{value}<span class="muted">" ("{basis}")"</span></p>
                </li>
            }
        }).collect_view();
        view! { <ul class="plain awards">{items}</ul> }.into_any()
    };
    let may_configure = Memo::new(move |_| state.read(|d| d.may_configure()));
    view! {
        <section class="card" aria-labelledby="awards-title">
            <h2 id="awards-title">{t!(i18n, voice.awards_title)}" · "{period_name(Span::Quarter, start)}</h2>
            {winners}
            {move || may_configure.get().then(|| view! { <AwardRules/> })}
        </section>
    }
}

#[component]
fn AwardRules() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let zh_name = RwSignal::new(String::new());
    let en_name = RwSignal::new(String::new());
    let metric = RwSignal::new(AwardMetric::MeanRating);
    let level = RwSignal::new(AwardLevel::Team);
    let minimum = RwSignal::new("5".to_string());
    let error = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = Text {
            zh: zh_name.get().trim().into(),
            en: en_name.get().trim().into(),
        };
        if name.show(true).is_empty() {
            error.set(true);
            return;
        }
        error.set(false);
        let rule = AwardRule {
            id: new_id().to_string(),
            name,
            metric: metric.get(),
            level: level.get(),
            minimum: minimum.get().trim().parse().unwrap_or(1),
        };
        let mut v = voice.get_untracked();
        v.awards.insert(rule.id.clone(), rule);
        if state.save_voice(&v).is_ok() {
            zh_name.set(String::new());
            en_name.set(String::new());
        }
    };
    let rules = move || {
        let zh = i18n.get_locale() == Locale::zh_CN;
        voice.with(|v| v.awards.values().cloned().collect::<Vec<_>>()).into_iter().map(|r| {
            let id = r.id.clone();
            let name = r.name.show(zh).to_string();
            let label = td_string!(i18n.get_locale(), voice.remove_rule, name = name.clone()).to_string();
            view! {
                <li>{name}" · "{metric_label(i18n.get_locale(), r.metric)}
                    <button type="button" class="button subtle" aria-label=label on:click=move |_| {
                        let mut v = voice.get_untracked();
                        v.awards.remove(&id);
                        let _ = state.save_voice(&v);
                    }>{t!(i18n, voice.remove)}</button>
                </li>
            }
        }).collect_view()
    };
    view! {
        <details class="award-rules">
            <summary>{t!(i18n, voice.award_rules)}</summary>
            <ul class="plain">{rules}</ul>
            <form on:submit=submit novalidate>
                <div class="field-row">
                    <div class="field"><label for="award-zh">{t!(i18n, voice.title_zh)}</label><input id="award-zh" bind:value=zh_name aria-describedby="award-error"/></div>
                    <div class="field"><label for="award-en">{t!(i18n, voice.title_en)}</label><input id="award-en" bind:value=en_name/></div>
                </div>
                <div class="field-row three">
                    <div class="field"><label for="award-metric">{t!(i18n, voice.metric)}</label>
                        <select id="award-metric" on:change=move |ev| if let Some(m) = AwardMetric::parse(&event_target_value(&ev)) { metric.set(m) }>
                            {AwardMetric::ALL.into_iter().map(|m| view! { <option value=m.as_str()>{move || metric_label(i18n.get_locale(), m)}</option> }).collect_view()}
                        </select></div>
                    <div class="field"><label for="award-level">{t!(i18n, voice.level)}</label>
                        <select id="award-level" on:change=move |ev| level.set(if event_target_value(&ev) == "agent" { AwardLevel::Agent } else { AwardLevel::Team })>
                            <option value="team">{t!(i18n, voice.level_team)}</option>
                            <option value="agent">{t!(i18n, voice.level_agent)}</option>
                        </select></div>
                    <div class="field"><label for="award-minimum">{t!(i18n, voice.minimum)}</label><input id="award-minimum" type="number" min="1" bind:value=minimum/></div>
                </div>
                <p id="award-error" class="field-error" role="alert">{move || error.get().then(|| t_string!(i18n, voice.error_no_title))}</p>
                <button type="submit" class="button">{t!(i18n, voice.add_rule)}</button>
            </form>
        </details>
    }
}

fn post_kind_label(l: Locale, k: PostKind) -> &'static str {
    match k {
        PostKind::Announcement => td_string!(l, voice.post_announcement),
        PostKind::ServiceChange => td_string!(l, voice.post_service_change),
        PostKind::ImprovementResult => td_string!(l, voice.post_improvement),
    }
}

#[component]
fn Bulletin() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let may_configure = Memo::new(move |_| state.read(|d| d.may_configure()));
    let posts = move || {
        let mut posts: Vec<Post> = voice.with(|v| v.bulletin.values().cloned().collect());
        posts.sort_by_key(|p| std::cmp::Reverse(p.at));
        if posts.is_empty() {
            return view! { <p class="empty">{t!(i18n, voice.no_posts)}</p> }.into_any();
        }
        let l = i18n.get_locale();
        let items = posts.into_iter().map(|p| view! {
            <li class="post" data-kind=p.kind.as_str()>
                <p class="muted"><span class="badge">{post_kind_label(l, p.kind)}</span>" "{p.by.clone()}" · "{date_time(l, p.at)}</p>
                <h3>{p.title.clone()}</h3>
                <p class="prose">{p.body.clone()}</p>
            </li>
        }).collect_view();
        view! { <ul class="plain posts">{items}</ul> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="posts-title">
            <h2 id="posts-title">{t!(i18n, voice.posts_title)}</h2>
            {move || may_configure.get().then(|| view! { <PostForm/> })}
            {posts}
        </section>
    }
}

#[component]
fn PostForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let voice = use_voice(state);
    let kind = RwSignal::new(PostKind::Announcement);
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let error = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let post = Post {
            id: new_id().to_string(),
            kind: kind.get(),
            title: title.get().trim().into(),
            body: body.get().trim().into(),
            by: state.read_untracked(|d| d.profile().map(|p| p.name).unwrap_or_default()),
            at: now(),
        };
        if !post.problems().is_empty() {
            error.set(true);
            return;
        }
        error.set(false);
        let mut v = voice.get_untracked();
        v.bulletin.insert(post.id.clone(), post);
        if state.save_voice(&v).is_ok() {
            title.set(String::new());
            body.set(String::new());
        }
    };
    view! {
        <details class="post-form">
            <summary>{t!(i18n, voice.new_post)}</summary>
            <form on:submit=submit novalidate>
                <div class="field-row">
                    <div class="field"><label for="post-kind">{t!(i18n, voice.post_kind)}</label>
                        <select id="post-kind" on:change=move |ev| if let Some(k) = PostKind::parse(&event_target_value(&ev)) { kind.set(k) }>
                            {PostKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{move || post_kind_label(i18n.get_locale(), k)}</option> }).collect_view()}
                        </select></div>
                    <div class="field"><label for="post-title">{t!(i18n, voice.post_title)}</label>
                        <input id="post-title" bind:value=title aria-describedby="post-error" aria-invalid=move || error.get().to_string()/></div>
                </div>
                <div class="field"><label for="post-body">{t!(i18n, voice.post_body)}</label><textarea id="post-body" rows="4" bind:value=body></textarea></div>
                <p id="post-error" class="field-error" role="alert">{move || error.get().then(|| t_string!(i18n, voice.error_post))}</p>
                <button type="submit" class="button primary">{t!(i18n, voice.publish)}</button>
            </form>
        </details>
    }
}

fn suggestion_error(l: Locale, e: &SuggestionError) -> String {
    match e {
        SuggestionError::Empty => td_string!(l, voice.suggestion_empty).to_string(),
        SuggestionError::TooLong => td_string!(l, voice.suggestion_too_long).to_string(),
        SuggestionError::NoDepartment => td_string!(l, voice.suggestion_no_department).to_string(),
        SuggestionError::NotTheirs(_) => td_string!(l, voice.suggestion_not_theirs).to_string(),
        SuggestionError::EmptyReply => td_string!(l, voice.suggestion_empty_reply).to_string(),
    }
}

fn verdict_label(l: Locale, v: Verdict) -> &'static str {
    match v {
        Verdict::Accepted => td_string!(l, voice.verdict_accepted),
        Verdict::Declined => td_string!(l, voice.verdict_declined),
        Verdict::Done => td_string!(l, voice.verdict_done),
    }
}

#[component]
fn SuggestionBox() -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let directory = use_directory();
    let board = Memo::new(move |_| state.read(|d| d.board()));
    let me = Memo::new(move |_| state.read(|d| d.person_key()));
    let text = RwSignal::new(String::new());
    let department = RwSignal::new(String::new());
    let anonymous = RwSignal::new(false);
    let problems = RwSignal::new(Vec::<SuggestionError>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let author = if anonymous.get() {
            String::new()
        } else {
            state.read_untracked(|d| d.profile().map(|p| p.name).unwrap_or_default())
        };
        let suggestion = Suggestion {
            id: new_id().to_string(),
            text: text.get().trim().into(),
            department: department.get(),
            author,
            at: now(),
        };
        let found = suggestion.problems();
        if !found.is_empty() {
            problems.set(found);
            return;
        }
        problems.set(Vec::new());
        if state.suggest(&suggestion).is_ok() {
            text.set(String::new());
        }
    };
    let list = move || {
        let b = board.get();
        let empty = BTreeSet::new();
        let ranked = by_votes(
            b.suggestions
                .values()
                .map(|s| (s, b.votes.get(&s.id).unwrap_or(&empty))),
        );
        if ranked.is_empty() {
            return view! { <p class="empty">{t!(i18n, voice.no_suggestions)}</p> }.into_any();
        }
        let l = i18n.get_locale();
        let me = me.get();
        let items = ranked.into_iter().map(|(s, votes)| {
            let id = s.id.clone();
            let voted = b.votes.get(&s.id).is_some_and(|v| v.contains(&me));
            let author = if s.author.is_empty() { td_string!(l, voice.anonymous).to_string() } else { s.author.clone() };
            let for_department = directory.with(|d| department_name(d, &s.department));
            let reply = b.replies.get(&s.id).cloned();
            let vote_label = td_string!(l, voice.vote_label, n = votes).to_string();
            let vote_id = id.clone();
            view! {
                <li class="suggestion" data-suggestion=s.id.clone() data-votes=votes>
                    <p class="prose">{s.text.clone()}</p>
                    <p class="muted">{author}" → "{for_department}" · "{date_time(l, s.at)}</p>
                    <button type="button" class="button vote" aria-pressed=voted.to_string()
                        on:click=move |_| { let _ = state.vote(&vote_id, !voted); }>
                        <span aria-hidden="true">{if voted { "▲ " } else { "△ " }}{votes}</span>
                        <span class="visually-hidden">{vote_label}</span>
                    </button>
                    {match reply {
                        Some(r) => view! {
                            <div class="reply"><p><span class="badge">{verdict_label(l, r.verdict)}</span>" "<strong>{r.by.clone()}</strong></p><p class="prose">{r.text.clone()}</p></div>
                        }.into_any(),
                        None => view! { <ReplyForm suggestion=s.clone()/> }.into_any(),
                    }}
                </li>
            }
        }).collect_view();
        view! { <ol class="plain suggestions">{items}</ol> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="suggestions-title">
            <h2 id="suggestions-title">{t!(i18n, voice.suggestions_title)}</h2>
            <form class="suggestion-form" on:submit=submit novalidate>
                <div class="field"><label for="suggestion-text">{t!(i18n, voice.suggestion_text)}</label>
                    <textarea id="suggestion-text" rows="3" bind:value=text aria-describedby="suggestion-problems"></textarea></div>
                <div class="field-row">
                    <div class="field"><label for="suggestion-department">{t!(i18n, voice.suggestion_for)}</label>
                        <select id="suggestion-department" on:change=move |ev| department.set(event_target_value(&ev))>
                            <option value="">{t!(i18n, voice.choose)}</option>
                            {move || department_choices(state).into_iter().map(|(id, label)| view! {
                                <option value=id>{label}</option>
                            }).collect_view()}
                        </select></div>
                    <label class="option"><input type="checkbox" id="suggestion-anonymous" bind:checked=anonymous/>{t!(i18n, voice.anonymous_label)}</label>
                </div>
                <p class="hint">{t!(i18n, voice.anonymous_hint)}</p>
                <ul class="field-error" role="alert" id="suggestion-problems">{move || problems.get().iter().map(|e| view! { <li>{suggestion_error(i18n.get_locale(), e)}</li> }).collect_view()}</ul>
                <button type="submit" class="button primary">{t!(i18n, voice.suggest)}</button>
            </form>
            {list}
        </section>
    }
}

/// The owning department's answer: shown to its staff (and admins) only.
#[component]
fn ReplyForm(suggestion: Suggestion) -> impl IntoView {
    let state = expect_context::<AppState>();
    let i18n = use_i18n();
    let (department, admin, staff) = state.read_untracked(|d| {
        let profile = d.profile();
        let role = profile
            .as_ref()
            .and_then(|p| p.account.as_ref())
            .map(|a| a.role);
        (
            profile.map(|p| p.department).unwrap_or_default(),
            d.may_configure(),
            role.is_none_or(|r| r.works_queues()),
        )
    });
    if !(admin || (staff && department == suggestion.department)) {
        return ().into_any();
    }
    let text = RwSignal::new(String::new());
    let verdict = RwSignal::new(Verdict::Accepted);
    let error = RwSignal::new(None::<SuggestionError>);
    let id = suggestion.id.clone();
    let field_id = format!("reply-{}", suggestion.id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Err(e) = suggestion.check_reply(&text.get(), &department, admin) {
            error.set(Some(e));
            return;
        }
        let reply = Reply {
            verdict: verdict.get(),
            text: text.get().trim().into(),
            by: state.read_untracked(|d| d.profile().map(|p| p.name).unwrap_or_default()),
            at: now(),
        };
        let _ = state.reply_to_suggestion(&id, &reply);
    };
    view! {
        <form class="reply-form" on:submit=submit novalidate>
            <label for=field_id.clone()>{t!(i18n, voice.reply_label)}</label>
            <div class="field-row">
                <input id=field_id bind:value=text/>
                <select aria-label=move || t_string!(i18n, voice.verdict) on:change=move |ev| if let Some(v) = Verdict::parse(&event_target_value(&ev)) { verdict.set(v) }>
                    {Verdict::ALL.into_iter().map(|v| view! { <option value=v.as_str()>{move || verdict_label(i18n.get_locale(), v)}</option> }).collect_view()}
                </select>
                <button type="submit" class="button">{t!(i18n, voice.reply)}</button>
            </div>
            <p class="field-error" role="alert">{move || error.get().map(|e| suggestion_error(i18n.get_locale(), &e))}</p>
        </form>
    }
    .into_any()
}
