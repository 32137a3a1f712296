//! Survey results: answers counted once per person and round, summed up per question, and, for a
//! confidential survey, shown only in groups of at least [`CONFIDENTIAL_MINIMUM`] people, so no
//! single person's answer can be picked out, not even by subtracting one group from another:
//! every figure of every group and question needs that many answers, and where one group's is
//! withheld, enough others are withheld with it that no subtraction recovers it.
//!
//! A confidential survey's round is published once, after it closes ([`publishable_rounds`]), and
//! never changes: two publications to compare would give away whoever answered between them. Its
//! free-text answers are counted, not shown, until an administrator releases them.

use super::survey::{Answer, QuestionKind, Survey};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The fewest answers a confidential figure is computed from.
pub const CONFIDENTIAL_MINIMUM: usize = 5;

/// One person's answers to one round, as the relay received them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub survey: String,
    pub round: u32,
    pub respondent: String,
    pub department: String,
    pub answers: BTreeMap<String, Answer>,
    pub at: Timestamp,
}

/// Whose answers a figure sums up.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Group {
    Everyone,
    Department(String),
    /// The departments too small to show on their own, together.
    OtherDepartments,
}

/// The net promoter score of 0–10 answers: the share of 9s and 10s minus the share of 0–6, in
/// whole percent (−100 to 100).
pub fn nps(scores: &[i64]) -> Option<i64> {
    if scores.is_empty() {
        return None;
    }
    let promoters = scores.iter().filter(|s| **s >= 9).count() as i64;
    let detractors = scores.iter().filter(|s| **s <= 6).count() as i64;
    let n = scores.len() as i64;
    Some(((promoters - detractors) * 100 * 2 + n).div_euclid(2 * n))
}

/// The mean of scores, `None` for none.
pub fn mean(scores: &[i64]) -> Option<f64> {
    (!scores.is_empty()).then(|| scores.iter().sum::<i64>() as f64 / scores.len() as f64)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionResult {
    pub question: String,
    pub answers: usize,
    /// For scored questions.
    pub mean: Option<f64>,
    pub nps: Option<i64>,
    /// Answers per score (Likert 1–5, NPS 0–10) or per option.
    pub counts: Vec<usize>,
    /// Free-text answers, sorted so their order says nothing about who wrote them.
    pub texts: Vec<String>,
    /// Free-text answers of a confidential survey not released yet: how many there are.
    #[serde(default)]
    pub texts_held: usize,
    /// Too few answers to show (confidential surveys).
    pub withheld: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResult {
    pub group: Group,
    pub respondents: usize,
    pub questions: Vec<QuestionResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundResult {
    pub round: u32,
    pub respondents: usize,
    /// Respondents per department (a response rate needs them; they say nothing of answers).
    /// In a confidential survey only departments of at least the minimum are named…
    pub by_department: BTreeMap<String, usize>,
    /// …and the respondents of the others counted together.
    #[serde(default)]
    pub small_departments: usize,
    /// Everyone first, then departments large enough to show.
    pub groups: Vec<GroupResult>,
}

/// The results of every round of a survey that has answers. A confidential survey's free text
/// is held back.
pub fn summarise(survey: &Survey, responses: &[Response]) -> Vec<RoundResult> {
    let latest = once_per_person(survey, responses);
    let mut rounds: BTreeMap<u32, Vec<&Response>> = BTreeMap::new();
    for r in latest {
        rounds.entry(r.round).or_default().push(r);
    }
    rounds
        .into_iter()
        .map(|(round, responses)| {
            let mut result = summarise_round(survey, round, &responses);
            if survey.confidential {
                hold_texts(&mut result);
            }
            result
        })
        .collect()
}

/// One round's results with every free-text answer in, for publishing once an administrator
/// has released them (or for a survey that is not confidential).
pub fn summarise_one_round(survey: &Survey, round: u32, responses: &[Response]) -> RoundResult {
    let latest: Vec<&Response> = once_per_person(survey, responses)
        .into_iter()
        .filter(|r| r.round == round)
        .collect();
    summarise_round(survey, round, &latest)
}

/// Counts free-text answers instead of showing them.
pub fn hold_texts(result: &mut RoundResult) {
    for question in result.groups.iter_mut().flat_map(|g| &mut g.questions) {
        question.texts_held += question.texts.len();
        question.texts.clear();
    }
}

/// Days after a round's last day before its results are published: answers given on the last
/// day anywhere on Earth, and by devices a day offline, are in by then.
pub const PUBLISH_AFTER_DAYS: u64 = 2;

/// The rounds of a survey closed long enough by `today` (UTC) to publish, oldest first.
pub fn publishable_rounds(survey: &Survey, today: chrono::NaiveDate) -> Vec<u32> {
    let closed_by = |round: u32| {
        survey
            .schedule
            .round(round)
            .and_then(|r| {
                r.closes
                    .checked_add_days(chrono::Days::new(PUBLISH_AFTER_DAYS))
            })
            .is_some_and(|publish_on| publish_on <= today)
    };
    let Some(latest) = survey.schedule.latest_by(today) else {
        return Vec::new();
    };
    (1..=latest.number).filter(|n| closed_by(*n)).collect()
}

/// A person's latest answers per round: answering again (or on a second device) replaces.
fn once_per_person<'a>(survey: &Survey, responses: &'a [Response]) -> Vec<&'a Response> {
    let mut latest: HashMap<(u32, &str), &Response> = HashMap::new();
    for r in responses.iter().filter(|r| r.survey == survey.id) {
        let key = (r.round, r.respondent.as_str());
        match latest.get(&key) {
            Some(kept) if (kept.at, &kept.answers) >= (r.at, &r.answers) => {}
            _ => {
                latest.insert(key, r);
            }
        }
    }
    let mut kept: Vec<&Response> = latest.into_values().collect();
    kept.sort_by(|a, b| (a.round, &a.respondent).cmp(&(b.round, &b.respondent)));
    kept
}

fn summarise_round(survey: &Survey, round: u32, responses: &[&Response]) -> RoundResult {
    let mut by_department: BTreeMap<String, usize> = BTreeMap::new();
    for r in responses {
        *by_department.entry(r.department.clone()).or_default() += 1;
    }
    let minimum = if survey.confidential {
        CONFIDENTIAL_MINIMUM
    } else {
        1
    };
    let counts = by_department.clone();
    let small_departments = if survey.confidential {
        let small: usize = by_department.values().filter(|n| **n < minimum).sum();
        by_department.retain(|_, n| *n >= minimum);
        small
    } else {
        0
    };
    let mut groups = vec![group_result(survey, Group::Everyone, responses, minimum)];
    if responses.len() >= minimum {
        let shown = departments_to_show(&counts, minimum);
        for department in &shown {
            let members: Vec<&Response> = responses
                .iter()
                .copied()
                .filter(|r| &r.department == department)
                .collect();
            groups.push(group_result(
                survey,
                Group::Department(department.clone()),
                &members,
                minimum,
            ));
        }
        let rest: Vec<&Response> = responses
            .iter()
            .copied()
            .filter(|r| !shown.contains(&r.department))
            .collect();
        if !rest.is_empty() && !shown.is_empty() {
            groups.push(group_result(
                survey,
                Group::OtherDepartments,
                &rest,
                minimum,
            ));
        }
    }
    withhold_complements(&mut groups, minimum);
    RoundResult {
        round,
        respondents: responses.len(),
        by_department,
        small_departments,
        groups,
    }
}

/// The groups after "everyone" split everyone up, so a figure withheld in one of them could be
/// recovered by subtracting the others from everyone's. Per question, more are withheld (the
/// fewest answers first) until those withheld hold at least `minimum` answers together.
fn withhold_complements(groups: &mut [GroupResult], minimum: usize) {
    let Some((_, parts)) = groups.split_first_mut() else {
        return;
    };
    let questions = parts.first().map_or(0, |g| g.questions.len());
    for q in 0..questions {
        let held = |parts: &[GroupResult]| -> usize {
            parts
                .iter()
                .map(|g| &g.questions[q])
                .filter(|r| r.withheld)
                .map(|r| r.answers)
                .sum()
        };
        let any_held = parts.iter().any(|g| g.questions[q].withheld);
        while any_held && held(parts) < minimum {
            let Some(next) = parts
                .iter_mut()
                .map(|g| &mut g.questions[q])
                .filter(|r| !r.withheld)
                .min_by_key(|r| r.answers)
            else {
                break;
            };
            withhold(next);
        }
    }
}

fn withhold(result: &mut QuestionResult) {
    result.withheld = true;
    result.mean = None;
    result.nps = None;
    result.counts.clear();
    result.texts.clear();
}

/// The departments with enough respondents to show alone, such that the rest together are none
/// or enough too (else "everyone minus the shown departments" would single someone out).
fn departments_to_show(counts: &BTreeMap<String, usize>, minimum: usize) -> Vec<String> {
    let total: usize = counts.values().sum();
    let mut shown: Vec<(&String, usize)> = counts
        .iter()
        .filter(|(_, n)| **n >= minimum)
        .map(|(d, n)| (d, *n))
        .collect();
    shown.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    loop {
        let rest = total - shown.iter().map(|(_, n)| n).sum::<usize>();
        if rest == 0 || rest >= minimum || shown.is_empty() {
            break;
        }
        // Fold the smallest shown department into the rest.
        shown.pop();
    }
    // One department alone is the same as everyone: nothing to add.
    if shown.len() == 1 && shown[0].1 == total {
        return Vec::new();
    }
    shown.into_iter().map(|(d, _)| d.clone()).collect()
}

fn group_result(
    survey: &Survey,
    group: Group,
    responses: &[&Response],
    minimum: usize,
) -> GroupResult {
    let questions = survey
        .questions
        .iter()
        .map(|q| {
            let answers: Vec<&Answer> = responses
                .iter()
                .filter_map(|r| r.answers.get(&q.id))
                .collect();
            question_result(&q.id, &q.kind, &answers, minimum)
        })
        .collect();
    GroupResult {
        group,
        respondents: responses.len(),
        questions,
    }
}

fn question_result(
    id: &str,
    kind: &QuestionKind,
    answers: &[&Answer],
    minimum: usize,
) -> QuestionResult {
    let mut result = QuestionResult {
        question: id.to_string(),
        answers: answers.len(),
        mean: None,
        nps: None,
        counts: Vec::new(),
        texts: Vec::new(),
        texts_held: 0,
        withheld: answers.len() < minimum,
    };
    if result.withheld {
        return result;
    }
    match kind {
        QuestionKind::Likert | QuestionKind::Nps => {
            let (min, max) = kind.scale().expect("scored");
            let scores: Vec<i64> = answers
                .iter()
                .filter_map(|a| match a {
                    Answer::Score(s) if (min..=max).contains(s) => Some(*s),
                    _ => None,
                })
                .collect();
            result.mean = mean(&scores);
            if matches!(kind, QuestionKind::Nps) {
                result.nps = nps(&scores);
            }
            result.counts = (min..=max)
                .map(|v| scores.iter().filter(|s| **s == v).count())
                .collect();
        }
        QuestionKind::Single(options) | QuestionKind::Multiple(options) => {
            result.counts = vec![0; options.len()];
            for a in answers {
                if let Answer::Choices(chosen) = a {
                    for i in chosen.iter().filter(|i| **i < options.len()) {
                        result.counts[*i] += 1;
                    }
                }
            }
        }
        QuestionKind::FreeText => {
            result.texts = answers
                .iter()
                .filter_map(|a| match a {
                    Answer::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
                    _ => None,
                })
                .collect();
            result.texts.sort();
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::survey::tests::quarterly;
    use super::*;

    fn response(who: &str, dept: &str, round: u32, q1: i64, at: i64) -> Response {
        Response {
            survey: "s1".into(),
            round,
            respondent: who.into(),
            department: dept.into(),
            answers: [("q1".to_string(), Answer::Score(q1))].into(),
            at: Timestamp(at),
        }
    }

    #[test]
    fn nps_is_promoters_minus_detractors_in_whole_percent() {
        assert_eq!(nps(&[]), None);
        assert_eq!(nps(&[10, 9, 8, 7, 6, 0]), Some(0));
        assert_eq!(nps(&[10, 10, 10]), Some(100));
        assert_eq!(nps(&[0, 6]), Some(-100));
        // 2 promoters, 1 detractor of 3: 33.3 → 33; 2 of 3 promoters: 66.7 → 67.
        assert_eq!(nps(&[9, 10, 3]), Some(33));
        assert_eq!(nps(&[9, 10, 7]), Some(67));
        assert_eq!(mean(&[1, 2, 4]), Some(7.0 / 3.0));
    }

    #[test]
    fn a_confidential_round_shows_nothing_below_five_answers() {
        let survey = quarterly();
        let four: Vec<Response> = (0..4)
            .map(|n| response(&format!("p{n}"), "财务部", 1, 5, n))
            .collect();
        let results = summarise(&survey, &four);
        let everyone = &results[0].groups[0];
        assert_eq!(results[0].respondents, 4);
        assert!(everyone
            .questions
            .iter()
            .all(|q| q.withheld && q.mean.is_none()));
        assert_eq!(results[0].groups.len(), 1);

        let mut five = four.clone();
        five.push(response("p4", "财务部", 1, 3, 9));
        let results = summarise(&survey, &five);
        let q1 = &results[0].groups[0].questions[0];
        assert!(!q1.withheld);
        assert_eq!(q1.mean, Some(4.6));
        assert_eq!(q1.counts, vec![0, 0, 1, 0, 4]);
        // An optional question only two people answered stays withheld.
        assert!(results[0].groups[0].questions[1].withheld);
    }

    #[test]
    fn a_second_answer_replaces_the_first_so_each_person_counts_once() {
        let mut survey = quarterly();
        survey.confidential = false;
        let answers = vec![
            response("wang", "财务部", 1, 2, 10),
            response("wang", "财务部", 1, 4, 20),
            response("wang", "财务部", 2, 5, 30),
        ];
        let results = summarise(&survey, &answers);
        assert_eq!(results.len(), 2);
        assert_eq!(results[0].respondents, 1);
        assert_eq!(results[0].groups[0].questions[0].mean, Some(4.0));
        // Delivered in the other order (offline devices), the same result.
        let reversed: Vec<Response> = answers.into_iter().rev().collect();
        assert_eq!(summarise(&survey, &reversed), results);
    }

    #[test]
    fn small_departments_are_folded_so_no_difference_singles_anyone_out() {
        let survey = quarterly();
        let mut answers = Vec::new();
        for n in 0..6 {
            answers.push(response(&format!("f{n}"), "财务部", 1, 4, n));
        }
        for n in 0..5 {
            answers.push(response(&format!("h{n}"), "人事部", 1, 2, n));
        }
        answers.push(response("lone", "法务部", 1, 1, 0));
        // Showing 财务部 (6) and 人事部 (5) would leave 法务部's one answer as the difference:
        // the smaller is folded in with it, leaving "other departments" of 6.
        let round = &summarise(&survey, &answers)[0];
        let groups: Vec<&Group> = round.groups.iter().map(|g| &g.group).collect();
        assert_eq!(
            groups,
            vec![
                &Group::Everyone,
                &Group::Department("财务部".into()),
                &Group::OtherDepartments
            ]
        );
        assert_eq!(round.groups[2].respondents, 6);
        // The response rate names no department too small to show.
        assert!(!round.by_department.contains_key("法务部"));
        assert_eq!(round.small_departments, 1);
        assert_eq!(round.by_department["财务部"], 6);
    }

    #[test]
    fn a_figure_withheld_in_one_group_cannot_be_recovered_from_the_others() {
        let survey = quarterly();
        let mut answers = Vec::new();
        // Six in 财务部, six in 人事部; the optional question q2 answered by five of 财务部
        // and two of 人事部.
        for n in 0..6 {
            let mut r = response(&format!("f{n}"), "财务部", 1, 4, n);
            if n < 5 {
                r.answers.insert("q2".into(), Answer::Score(4));
            }
            answers.push(r);
        }
        for n in 0..6 {
            let mut r = response(&format!("h{n}"), "人事部", 1, 2, n);
            if n < 2 {
                r.answers.insert("q2".into(), Answer::Score(1));
            }
            answers.push(r);
        }
        let round = &summarise(&survey, &answers)[0];
        let q2 = |g: usize| &round.groups[g].questions[1];
        assert_eq!(round.groups.len(), 3, "everyone and both departments");
        assert!(!q2(0).withheld, "everyone's seven answers are shown");
        assert!(q2(2).withheld, "人事部's two are not");
        // Everyone's figure minus 财务部's would be 人事部's two answers: 财务部's goes too.
        assert!(q2(1).withheld && q2(1).mean.is_none() && q2(1).counts.is_empty());
        // q1, answered by all, is shown everywhere.
        assert!(round.groups.iter().all(|g| !g.questions[0].withheld));
    }

    #[test]
    fn confidential_free_text_is_counted_not_shown_until_released() {
        let mut survey = quarterly();
        survey.questions[2].kind = QuestionKind::FreeText;
        let answers: Vec<Response> = (0..5)
            .map(|n| {
                let mut r = response(&format!("p{n}"), "财务部", 1, 4, n);
                r.answers
                    .insert("q3".into(), Answer::Text(format!("意见 {n}")));
                r
            })
            .collect();
        let held = &summarise(&survey, &answers)[0].groups[0].questions[2];
        assert!(held.texts.is_empty());
        assert_eq!(held.texts_held, 5);
        let released = summarise_one_round(&survey, 1, &answers);
        assert_eq!(released.groups[0].questions[2].texts.len(), 5);
    }

    #[test]
    fn a_round_is_published_two_days_after_its_last_day() {
        let mut survey = quarterly();
        survey.schedule = crate::domain::voice::survey::Schedule {
            start: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
            every_months: 3,
            open_days: 14,
        };
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        // Round 1 runs 5–18 January.
        assert!(publishable_rounds(&survey, day(1, 19)).is_empty());
        assert_eq!(publishable_rounds(&survey, day(1, 20)), vec![1]);
        // Round 2 opened on 5 April and is still open on the 10th.
        assert_eq!(publishable_rounds(&survey, day(4, 10)), vec![1]);
        assert_eq!(publishable_rounds(&survey, day(4, 20)), vec![1, 2]);
        assert!(publishable_rounds(&survey, day(1, 1)).is_empty());
    }

    #[test]
    fn free_text_is_shown_sorted_and_choices_counted() {
        let mut survey = quarterly();
        survey.confidential = false;
        survey.questions[2].kind = QuestionKind::FreeText;
        let mut a = response("a", "财务部", 1, 4, 1);
        a.answers.insert("q3".into(), Answer::Text(" 慢 ".into()));
        let mut b = response("b", "财务部", 1, 4, 2);
        b.answers.insert("q3".into(), Answer::Text("快".into()));
        let texts = &summarise(&survey, &[a, b])[0].groups[0].questions[2].texts;
        assert_eq!(texts, &vec!["快".to_string(), "慢".to_string()]);
    }
}
