//! Weekly demand forecasts: additive Holt-Winters with a yearly season of 52 weeks (Holt's trend
//! method while there is less than two years of history), a 95 % prediction interval, an honest
//! back-test against the seasonal-naive forecast, the weekday pattern within a week, and the
//! staff the forecast implies.

use crate::domain::Timestamp;

const DAY_MS: i64 = 86_400_000;
pub const WEEK_MS: i64 = 7 * DAY_MS;
/// Weeks in the yearly season.
pub const SEASON: usize = 52;
/// Weeks held out to back-test a forecast (one quarter).
pub const BACKTEST_WEEKS: usize = 13;

/// Demand per week, from the week of the first ticket to the last complete week.
#[derive(Debug, Clone, PartialEq)]
pub struct Weekly {
    /// Monday 00:00 (local time) of the first week.
    pub first_week: Timestamp,
    pub counts: Vec<f64>,
}

impl Weekly {
    pub fn week(&self, i: usize) -> Timestamp {
        Timestamp(self.first_week.0 + i as i64 * WEEK_MS)
    }
}

/// The Monday 00:00 that starts the week of `at`, in a time zone `offset_minutes` east of UTC.
pub fn week_start(at: Timestamp, offset_minutes: i32) -> Timestamp {
    let offset = i64::from(offset_minutes) * 60_000;
    // 1970-01-01 was a Thursday: Monday-based weeks begin 4 days into the epoch's week.
    let local = at.0 + offset - 4 * DAY_MS;
    Timestamp(local.div_euclid(WEEK_MS) * WEEK_MS + 4 * DAY_MS - offset)
}

/// Tickets per week up to the last week that ended before `now`.
pub fn weekly_counts(
    times: impl IntoIterator<Item = Timestamp>,
    offset_minutes: i32,
    now: Timestamp,
) -> Option<Weekly> {
    let this_week = week_start(now, offset_minutes);
    let starts: Vec<i64> = times
        .into_iter()
        .filter(|t| *t < this_week)
        .map(|t| week_start(t, offset_minutes).0)
        .collect();
    let first = *starts.iter().min()?;
    let weeks = ((this_week.0 - first) / WEEK_MS) as usize;
    let mut counts = vec![0.0; weeks];
    for start in starts {
        counts[((start - first) / WEEK_MS) as usize] += 1.0;
    }
    Some(Weekly {
        first_week: Timestamp(first),
        counts,
    })
}

/// The share of a week's tickets filed on each weekday, Monday first.
pub fn weekday_shares(times: impl IntoIterator<Item = Timestamp>, offset_minutes: i32) -> [f64; 7] {
    let mut counts = [0.0; 7];
    for t in times {
        let day = (t.0 - week_start(t, offset_minutes).0) / DAY_MS;
        counts[day.clamp(0, 6) as usize] += 1.0;
    }
    let total: f64 = counts.iter().sum();
    if total > 0.0 {
        counts.iter_mut().for_each(|c| *c /= total);
    }
    counts
}

/// The model a forecast was made with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Level, trend and a 52-week season.
    HoltWinters { alpha: f64, beta: f64, gamma: f64 },
    /// Level and trend (less than two years of history).
    Holt { alpha: f64, beta: f64 },
    /// The mean (too little history for a trend).
    Mean,
}

/// A fitted model: its state after the last week and its one-step error.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub method: Method,
    level: f64,
    trend: f64,
    /// The seasonal terms of the last `SEASON` weeks, oldest first (empty without a season).
    season: Vec<f64>,
    /// Standard deviation of the one-step-ahead errors.
    pub sigma: f64,
}

/// One forecast week.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub mean: f64,
    /// The 95 % prediction interval (never below zero).
    pub low: f64,
    pub high: f64,
}

const ALPHAS: [f64; 9] = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 0.95];
/// The trend of weekly demand moves slowly: a trend that follows one noisy week extrapolates that
/// noise over the whole horizon (in back-tests, β above 0.05 lost to the seasonal-naive forecast).
const BETAS: [f64; 4] = [0.005, 0.01, 0.02, 0.05];
const GAMMAS: [f64; 5] = [0.05, 0.1, 0.2, 0.3, 0.5];
/// Two-sided 95 % normal quantile.
const Z95: f64 = 1.96;

/// Fits the best model the history allows, choosing the smoothing parameters that minimise the
/// one-step-ahead squared error.
pub fn fit(series: &[f64]) -> Option<Fit> {
    if series.is_empty() {
        return None;
    }
    if series.len() >= 2 * SEASON {
        let mut best: Option<(f64, Fit)> = None;
        for alpha in ALPHAS {
            for beta in BETAS {
                for gamma in GAMMAS {
                    let (sse, fit) = smooth(series, alpha, beta, gamma, SEASON);
                    if best.as_ref().is_none_or(|(b, _)| sse < *b) {
                        best = Some((sse, fit));
                    }
                }
            }
        }
        return best.map(|(_, f)| f);
    }
    if series.len() >= 6 {
        let mut best: Option<(f64, Fit)> = None;
        for alpha in ALPHAS {
            for beta in BETAS {
                let (sse, fit) = smooth(series, alpha, beta, 0.0, 0);
                if best.as_ref().is_none_or(|(b, _)| sse < *b) {
                    best = Some((sse, fit));
                }
            }
        }
        return best.map(|(_, f)| f);
    }
    let mean = series.iter().sum::<f64>() / series.len() as f64;
    let var = series.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / series.len() as f64;
    Some(Fit {
        method: Method::Mean,
        level: mean,
        trend: 0.0,
        season: Vec::new(),
        sigma: var.sqrt(),
    })
}

/// Runs the smoothing recursions over the series (a season of `m` weeks, or none when 0) and
/// returns the sum of squared one-step errors with the final state.
fn smooth(series: &[f64], alpha: f64, beta: f64, gamma: f64, m: usize) -> (f64, Fit) {
    let (mut level, mut trend, mut season, start) = if m > 0 {
        let first = mean(&series[..m]);
        let second = mean(&series[m..2 * m]);
        let trend = (second - first) / m as f64;
        // Each week's distance from its year's mean, less the trend's share of it (otherwise
        // the season would carry a sawtooth of the trend that the level then has to undo).
        let season: Vec<f64> = (0..m)
            .map(|i| {
                let drift = trend * (i as f64 - (m as f64 - 1.0) / 2.0);
                (series[i] - first + series[m + i] - second) / 2.0 - drift
            })
            .collect();
        (first, trend, season, m)
    } else {
        (series[0], series[1] - series[0], Vec::new(), 1)
    };
    if m > 0 {
        // The first season's level sits at its middle; carry it to the season's last week.
        level += trend * (m as f64 - 1.0) / 2.0;
    }
    let (mut sse, mut steps) = (0.0, 0usize);
    for (t, &y) in series.iter().enumerate().skip(start) {
        let s = if m > 0 { season[t % m] } else { 0.0 };
        let predicted = level + trend + s;
        sse += (y - predicted).powi(2);
        steps += 1;
        let previous = level;
        level = alpha * (y - s) + (1.0 - alpha) * (level + trend);
        trend = beta * (level - previous) + (1.0 - beta) * trend;
        if m > 0 {
            season[t % m] = gamma * (y - level) + (1.0 - gamma) * s;
        }
    }
    // Keep the season in calendar order, the week after the last one first.
    if m > 0 {
        season.rotate_left(series.len() % m);
    }
    let method = if m > 0 {
        Method::HoltWinters { alpha, beta, gamma }
    } else {
        Method::Holt { alpha, beta }
    };
    let sigma = (sse / steps.max(1) as f64).sqrt();
    (
        sse,
        Fit {
            method,
            level,
            trend,
            season,
            sigma,
        },
    )
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

impl Fit {
    /// The next `weeks` weeks, each with its interval, which widens with the horizon.
    pub fn forecast(&self, weeks: usize) -> Vec<Point> {
        let (alpha, beta, gamma) = match self.method {
            Method::HoltWinters { alpha, beta, gamma } => (alpha, beta, gamma),
            Method::Holt { alpha, beta } => (alpha, beta, 0.0),
            Method::Mean => (0.0, 0.0, 0.0),
        };
        let mut spread = 1.0;
        (1..=weeks)
            .map(|h| {
                let s = if self.season.is_empty() {
                    0.0
                } else {
                    self.season[(h - 1) % self.season.len()]
                };
                let mean = (self.level + h as f64 * self.trend + s).max(0.0);
                if h > 1 {
                    let j = (h - 1) as f64;
                    let seasonal = !self.season.is_empty() && (h - 1) % self.season.len() == 0;
                    let c = alpha * (1.0 + j * beta) + if seasonal { gamma } else { 0.0 };
                    spread += c * c;
                }
                let half = Z95 * self.sigma * spread.sqrt();
                Point {
                    mean,
                    low: (mean - half).max(0.0),
                    high: mean + half,
                }
            })
            .collect()
    }
}

/// The seasonal-naive forecast: each week as it was a year before (or the last week, with less
/// than a year of history).
pub fn seasonal_naive(series: &[f64], weeks: usize) -> Vec<f64> {
    let n = series.len();
    (0..weeks)
        .map(|h| {
            if n >= SEASON {
                series[n - SEASON + h % SEASON]
            } else {
                series.last().copied().unwrap_or(0.0)
            }
        })
        .collect()
}

/// How well the method would have forecast the last quarter had it been used then.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtest {
    pub weeks: usize,
    /// Mean absolute error per week of the forecast and of the seasonal-naive baseline.
    pub mae: f64,
    pub naive_mae: f64,
    /// Share of the held-out weeks inside the 95 % interval.
    pub covered: f64,
}

impl Backtest {
    /// How much smaller the forecast's error is than the baseline's (1 = perfect, 0 = no better).
    pub fn skill(&self) -> Option<f64> {
        (self.naive_mae > 0.0).then(|| 1.0 - self.mae / self.naive_mae)
    }
}

/// Fits on all but the last quarter and scores the forecast of that quarter.
pub fn backtest(series: &[f64]) -> Option<Backtest> {
    let weeks = BACKTEST_WEEKS;
    if series.len() < weeks + 6 {
        return None;
    }
    let (train, test) = series.split_at(series.len() - weeks);
    let points = fit(train)?.forecast(weeks);
    let naive = seasonal_naive(train, weeks);
    let mae = |f: &mut dyn Iterator<Item = f64>| {
        f.zip(test).map(|(p, y)| (p - y).abs()).sum::<f64>() / weeks as f64
    };
    let covered = points
        .iter()
        .zip(test)
        .filter(|(p, y)| p.low <= **y && **y <= p.high)
        .count();
    Some(Backtest {
        weeks,
        mae: mae(&mut points.iter().map(|p| p.mean)),
        naive_mae: mae(&mut naive.into_iter()),
        covered: covered as f64 / weeks as f64,
    })
}

/// One forecast week with the staff it needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannedWeek {
    pub start: Timestamp,
    pub demand: Point,
    /// Agents needed for the expected demand and for the interval's upper end.
    pub staff: u32,
    pub staff_high: u32,
}

/// A series' history, forecast, back-test and staffing.
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    pub history: Weekly,
    pub method: Method,
    pub weeks: Vec<PlannedWeek>,
    pub backtest: Option<Backtest>,
    /// The share of a week's demand on each weekday, Monday first.
    pub weekdays: [f64; 7],
}

/// Forecasts the weekly demand of tickets filed at `times`, `horizon` weeks ahead, staffed at
/// `capacity` tickets per agent per week.
pub fn forecast(
    times: &[Timestamp],
    offset_minutes: i32,
    now: Timestamp,
    horizon: usize,
    capacity: f64,
) -> Option<Forecast> {
    let history = weekly_counts(times.iter().copied(), offset_minutes, now)?;
    let fitted = fit(&history.counts)?;
    let next = week_start(now, offset_minutes);
    let staff = |demand: f64| (demand / capacity.max(0.1)).ceil().max(0.0) as u32;
    let weeks = fitted
        .forecast(horizon)
        .into_iter()
        .enumerate()
        .map(|(i, demand)| PlannedWeek {
            start: Timestamp(next.0 + i as i64 * WEEK_MS),
            demand,
            staff: staff(demand.mean),
            staff_high: staff(demand.high),
        })
        .collect();
    Some(Forecast {
        backtest: backtest(&history.counts),
        method: fitted.method,
        weekdays: weekday_shares(times.iter().copied(), offset_minutes),
        history,
        weeks,
    })
}
