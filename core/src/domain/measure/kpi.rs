//! The KPIs: each one's definition, written once here beside its formula and shown in the UI
//! wherever the figure is, and the figures per providing department, team, agent, service or
//! customer department over a period.

use super::facts::TicketFacts;
use super::stats::{median, percentile, Ratio};
use crate::domain::time::Period;
use crate::domain::Timestamp;
use std::collections::BTreeMap;

/// Every figure the dashboard shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kpi {
    Volume,
    FirstResponseMedian,
    FirstResponseP90,
    ResolutionMedian,
    ResolutionP90,
    OnTime,
    Resolved,
    Reopened,
    Backlog,
    BacklogAge,
    Satisfaction,
    Csat,
    Nps,
    Deflection,
}

impl Kpi {
    pub const ALL: [Kpi; 14] = [
        Kpi::Volume,
        Kpi::FirstResponseMedian,
        Kpi::FirstResponseP90,
        Kpi::ResolutionMedian,
        Kpi::ResolutionP90,
        Kpi::OnTime,
        Kpi::Resolved,
        Kpi::Reopened,
        Kpi::Backlog,
        Kpi::BacklogAge,
        Kpi::Satisfaction,
        Kpi::Csat,
        Kpi::Nps,
        Kpi::Deflection,
    ];

    /// A stable name, for CSV headers, ids and tests.
    pub fn id(self) -> &'static str {
        match self {
            Kpi::Volume => "volume",
            Kpi::FirstResponseMedian => "first_response_median",
            Kpi::FirstResponseP90 => "first_response_p90",
            Kpi::ResolutionMedian => "resolution_median",
            Kpi::ResolutionP90 => "resolution_p90",
            Kpi::OnTime => "on_time",
            Kpi::Resolved => "resolved",
            Kpi::Reopened => "reopened",
            Kpi::Backlog => "backlog",
            Kpi::BacklogAge => "backlog_age",
            Kpi::Satisfaction => "satisfaction",
            Kpi::Csat => "csat",
            Kpi::Nps => "nps",
            Kpi::Deflection => "deflection",
        }
    }

    /// How the figure is computed, in the words people read next to it: English, then Chinese.
    /// Kept here, beside the formula, so the explanation cannot drift from the arithmetic.
    pub fn definition(self) -> [&'static str; 2] {
        match self {
            Kpi::Volume => [
                "Tickets filed in the period.",
                "本期提交的工单数。",
            ],
            Kpi::FirstResponseMedian => [
                "Median business time from filing to the first response (a public reply, waiting on the requester, or resolution), over the period's tickets that have one. Counted by the SLA first-response clock where a policy applies, otherwise by the hours between.",
                "本期已有首次响应的工单，从提交到首次响应（公开回复、等待请求人或解决）的工作时间中位数。有 SLA 策略时按首次响应计时器计算，否则按实际间隔计算。",
            ],
            Kpi::FirstResponseP90 => [
                "90th percentile (nearest rank) of the same first-response times: nine in ten were answered within it.",
                "同一组首次响应时间的第 90 百分位（最近秩法）：九成工单在此时间内得到响应。",
            ],
            Kpi::ResolutionMedian => [
                "Median business time the period's resolved or closed tickets were open, by the SLA resolution clock (pauses credited back as the policy says; a reopened ticket continues its clock).",
                "本期已解决或关闭的工单处于打开状态的工作时间中位数，按 SLA 解决计时器计算（按策略扣除暂停时间；重新打开的工单继续计时）。",
            ],
            Kpi::ResolutionP90 => [
                "90th percentile (nearest rank) of the same resolution times.",
                "同一组解决时间的第 90 百分位（最近秩法）。",
            ],
            Kpi::OnTime => [
                "Share of the period's decided tickets that kept every SLA promise (first response, next responses, resolution). A ticket counts once resolved within target or once any clock is missed or breached; tickets with no policy are left out.",
                "本期已有结论的工单中，所有 SLA 承诺（首次响应、后续响应、解决）均达成的比例。工单在按时解决或任一计时器超时后计入；无 SLA 策略的工单不计入。",
            ],
            Kpi::Resolved => [
                "Share of the period's tickets that are resolved or closed now.",
                "本期工单中目前已解决或已关闭的比例。",
            ],
            Kpi::Reopened => [
                "Share of the period's resolved or closed tickets that were reopened at least once.",
                "本期已解决或关闭的工单中，至少被重新打开过一次的比例。",
            ],
            Kpi::Backlog => [
                "Tickets open at the end of the period (or now, for the current period), whenever they were filed.",
                "期末（当前周期则为此刻）仍未解决的工单数，不论提交时间。",
            ],
            Kpi::BacklogAge => [
                "Median age of that backlog: calendar days from filing to the end of the period.",
                "上述积压工单的年龄中位数：从提交到期末的日历天数。",
            ],
            Kpi::Satisfaction => [
                "Mean rating (1–5) the requesters gave the period's tickets.",
                "请求人对本期工单评分（1–5）的平均值。",
            ],
            Kpi::Csat => [
                "Share of those ratings that are 4 or 5.",
                "上述评分中 4 分或 5 分的比例。",
            ],
            Kpi::Nps => [
                "Net promoter score from surveys about the providing department, in the latest round opened in the period: promoters (9–10) minus detractors (0–6), in percent. Only for providing departments.",
                "本期最近一轮关于该服务部门的调查的净推荐值：推荐者（9–10 分）减贬损者（0–6 分）的百分比。仅适用于服务部门。",
            ],
            Kpi::Deflection => [
                "Share of the period's requests shown suggested articles that one of them solved (\"this solved it\") instead of becoming a ticket. Solved requests are counted here only, not in any other figure.",
                "本期输入请求时看到推荐文章的请求中，因文章解决（“已解决我的问题”）而未成为工单的比例。这类请求只计入此项，不计入其他指标。",
            ],
        }
    }
}

/// Whom the figures are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Provider,
    Team,
    Agent,
    Service,
    Customer,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Provider,
        Dimension::Team,
        Dimension::Agent,
        Dimension::Service,
        Dimension::Customer,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Dimension::Provider => "provider",
            Dimension::Team => "team",
            Dimension::Agent => "agent",
            Dimension::Service => "service",
            Dimension::Customer => "customer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.id() == text)
    }

    /// The group a ticket belongs to (empty: none, e.g. no agent before resolution).
    pub fn key_of(self, facts: &TicketFacts) -> &str {
        match self {
            Dimension::Provider => &facts.provider,
            Dimension::Team => &facts.team,
            Dimension::Agent => &facts.agent,
            Dimension::Service => &facts.service,
            Dimension::Customer => &facts.customer,
        }
    }
}

/// A median and 90th percentile of business times, and how many tickets they are over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Spread {
    pub median_ms: Option<i64>,
    pub p90_ms: Option<i64>,
    pub count: usize,
}

impl Spread {
    pub fn of(mut values: Vec<i64>) -> Self {
        Self {
            count: values.len(),
            p90_ms: percentile(&mut values, 90),
            median_ms: median(&mut values),
        }
    }
}

/// Every KPI of one group of tickets.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Figures {
    pub volume: usize,
    pub first_response: Spread,
    pub resolution: Spread,
    pub on_time: Ratio,
    pub resolved: Ratio,
    pub reopened: Ratio,
    pub backlog: usize,
    pub backlog_age_days: Option<f64>,
    pub satisfaction: Option<f64>,
    pub ratings: usize,
    pub csat: Ratio,
    pub nps: Option<i64>,
    pub deflection: Ratio,
}

impl Figures {
    /// The figure as a number (times in milliseconds, shares in percent), or `None` when there is
    /// nothing to compute it from.
    pub fn value(&self, kpi: Kpi) -> Option<f64> {
        let ms = |v: Option<i64>| v.map(|v| v as f64);
        match kpi {
            Kpi::Volume => Some(self.volume as f64),
            Kpi::FirstResponseMedian => ms(self.first_response.median_ms),
            Kpi::FirstResponseP90 => ms(self.first_response.p90_ms),
            Kpi::ResolutionMedian => ms(self.resolution.median_ms),
            Kpi::ResolutionP90 => ms(self.resolution.p90_ms),
            Kpi::OnTime => self.on_time.percent(),
            Kpi::Resolved => self.resolved.percent(),
            Kpi::Reopened => self.reopened.percent(),
            Kpi::Backlog => Some(self.backlog as f64),
            Kpi::BacklogAge => self.backlog_age_days,
            Kpi::Satisfaction => self.satisfaction,
            Kpi::Csat => self.csat.percent(),
            Kpi::Nps => self.nps.map(|n| n as f64),
            Kpi::Deflection => self.deflection.percent(),
        }
    }
}

/// The moment the backlog is counted at: the period's end, or now if that is earlier.
pub fn backlog_moment(period: Period, now: Timestamp) -> Timestamp {
    Timestamp((period.end.0 - 1).min(now.0))
}

/// Whether a ticket enters a KPI's figure, and with what value (its time, age or score; 1 or 0 for
/// a share; `None` for a count): the audit trail behind every figure.
pub fn contribution(
    kpi: Kpi,
    facts: &TicketFacts,
    period: Period,
    now: Timestamp,
) -> Option<Option<f64>> {
    let in_period = period.contains(facts.created_at);
    let closed = facts.resolved_at.is_some();
    let ms = |v: Option<i64>| v.map(|v| Some(v as f64));
    let share = |hit: bool| Some(Some(if hit { 1.0 } else { 0.0 }));
    if kpi == Kpi::Deflection {
        return (in_period && facts.self_help.offered())
            .then(|| share(facts.self_help.deflected()))
            .flatten();
    }
    if facts.self_help.deflected() {
        return None;
    }
    if matches!(kpi, Kpi::Backlog | Kpi::BacklogAge) {
        let at = backlog_moment(period, now);
        return facts.open_at(at).then(|| match kpi {
            Kpi::BacklogAge => Some(age_days(facts.created_at, at)),
            _ => None,
        });
    }
    if !in_period {
        return None;
    }
    match kpi {
        Kpi::Volume => Some(None),
        Kpi::FirstResponseMedian | Kpi::FirstResponseP90 => ms(facts.first_response_ms),
        Kpi::ResolutionMedian | Kpi::ResolutionP90 => ms(facts.resolution_ms),
        Kpi::OnTime => facts.on_time.and_then(share),
        Kpi::Resolved => share(closed),
        Kpi::Reopened => closed.then_some(()).and(share(facts.reopened)),
        Kpi::Satisfaction => facts.rating.map(|r| Some(f64::from(r))),
        Kpi::Csat => facts.rating.and_then(|r| share(r >= 4)),
        Kpi::Backlog | Kpi::BacklogAge | Kpi::Nps | Kpi::Deflection => None,
    }
}

fn age_days(from: Timestamp, to: Timestamp) -> f64 {
    (to.0 - from.0) as f64 / 86_400_000.0
}

/// The figures of a set of tickets over a period.
pub fn figures<'a>(
    tickets: impl IntoIterator<Item = &'a TicketFacts>,
    period: Period,
    now: Timestamp,
) -> Figures {
    let at = backlog_moment(period, now);
    let mut out = Figures::default();
    let (mut first, mut resolution, mut ages) = (Vec::new(), Vec::new(), Vec::new());
    let mut score_sum = 0u64;
    for t in tickets {
        let in_period = period.contains(t.created_at);
        if in_period && t.self_help.offered() {
            out.deflection.count(t.self_help.deflected());
        }
        if t.self_help.deflected() {
            continue;
        }
        if t.open_at(at) {
            out.backlog += 1;
            ages.push(at.0 - t.created_at.0);
        }
        if !in_period {
            continue;
        }
        out.volume += 1;
        first.extend(t.first_response_ms);
        resolution.extend(t.resolution_ms);
        if let Some(kept) = t.on_time {
            out.on_time.count(kept);
        }
        let closed = t.resolved_at.is_some();
        out.resolved.count(closed);
        if closed {
            out.reopened.count(t.reopened);
        }
        if let Some(score) = t.rating {
            out.ratings += 1;
            score_sum += u64::from(score);
            out.csat.count(score >= 4);
        }
    }
    out.first_response = Spread::of(first);
    out.resolution = Spread::of(resolution);
    out.backlog_age_days = median(&mut ages).map(|ms| ms as f64 / 86_400_000.0);
    out.satisfaction = (out.ratings > 0).then(|| score_sum as f64 / out.ratings as f64);
    out
}

/// One line of a KPI table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KpiLine {
    pub key: String,
    pub figures: Figures,
}

/// The figures per group, busiest first, each group that has tickets in the period, a backlog, or
/// requests that articles were suggested for.
/// `nps` gives each providing department's survey NPS.
pub fn kpis(
    facts: &[TicketFacts],
    by: Dimension,
    period: Period,
    now: Timestamp,
    nps: &BTreeMap<String, i64>,
) -> Vec<KpiLine> {
    let mut groups: BTreeMap<&str, Vec<&TicketFacts>> = BTreeMap::new();
    for t in facts {
        groups.entry(by.key_of(t)).or_default().push(t);
    }
    let mut lines: Vec<KpiLine> = groups
        .into_iter()
        .map(|(key, tickets)| {
            let mut figures = figures(tickets, period, now);
            if by == Dimension::Provider {
                figures.nps = nps.get(key).copied();
            }
            KpiLine {
                key: key.to_string(),
                figures,
            }
        })
        .filter(|l| l.figures.volume > 0 || l.figures.backlog > 0 || l.figures.deflection.of > 0)
        .collect();
    lines.sort_by(|a, b| {
        b.figures
            .volume
            .cmp(&a.figures.volume)
            .then(a.key.cmp(&b.key))
    });
    lines
}

/// The tickets behind one figure, with what each contributed, oldest first.
pub fn behind<'a>(
    kpi: Kpi,
    tickets: impl IntoIterator<Item = &'a TicketFacts>,
    period: Period,
    now: Timestamp,
) -> Vec<(&'a TicketFacts, Option<f64>)> {
    let mut out: Vec<_> = tickets
        .into_iter()
        .filter_map(|t| Some((t, contribution(kpi, t, period, now)?)))
        .collect();
    out.sort_by_key(|(t, _)| (t.created_at, t.id));
    out
}

/// The KPI table as CSV: one line per group, times in hours.
pub fn to_csv(lines: &[KpiLine], names: impl Fn(&str) -> String) -> String {
    let mut header = vec!["group".to_string()];
    header.extend(Kpi::ALL.iter().map(|k| k.id().to_string()));
    let mut out = crate::csv::row(&header);
    for line in lines {
        let mut cells = vec![names(&line.key)];
        cells.extend(
            Kpi::ALL
                .iter()
                .map(|&k| csv_value(k, line.figures.value(k))),
        );
        out.push_str(&crate::csv::row(&cells));
    }
    out
}

/// A figure in a CSV cell: hours for times, one decimal for means and shares.
pub fn csv_value(kpi: Kpi, value: Option<f64>) -> String {
    match (kpi, value) {
        (_, None) => String::new(),
        (Kpi::Volume | Kpi::Backlog | Kpi::Nps, Some(v)) => format!("{v:.0}"),
        (
            Kpi::FirstResponseMedian
            | Kpi::FirstResponseP90
            | Kpi::ResolutionMedian
            | Kpi::ResolutionP90,
            Some(ms),
        ) => {
            format!("{:.2}", ms / 3_600_000.0)
        }
        (_, Some(v)) => format!("{v:.1}"),
    }
}

/// Whether a time KPI (shown in business hours).
pub fn is_time(kpi: Kpi) -> bool {
    matches!(
        kpi,
        Kpi::FirstResponseMedian
            | Kpi::FirstResponseP90
            | Kpi::ResolutionMedian
            | Kpi::ResolutionP90
    )
}
