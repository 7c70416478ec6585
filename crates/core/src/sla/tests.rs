use chrono::{NaiveDate, TimeZone};
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::office_hours::{parse_holidays, BusinessClock, OfficeHours};

fn nine_to_five() -> OfficeHours {
    let day = json!([[540, 1020]]);
    OfficeHours::parse(&json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day})).unwrap()
}

fn at(tz: chrono_tz::Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    tz.with_ymd_and_hms(y, m, d, h, min, 0).earliest().unwrap().timestamp()
}

const NY: chrono_tz::Tz = chrono_tz::America::New_York;
const LONDON: chrono_tz::Tz = chrono_tz::Europe::London;

fn ny_clock() -> BusinessClock {
    BusinessClock::new(nine_to_five(), NY, [])
}

// ---- the business clock ----

#[test]
fn friday_afternoon_runs_into_monday() {
    let clock = ny_clock();
    let fri_1658 = at(NY, 2024, 3, 8, 16, 58);
    // Two minutes on Friday, three on Monday.
    assert_eq!(clock.deadline(fri_1658, 300), Some(at(NY, 2024, 3, 11, 9, 3)));
    // At 16:55 the five minutes fit before 17:00 on Friday.
    assert_eq!(clock.deadline(at(NY, 2024, 3, 8, 16, 55), 300), Some(at(NY, 2024, 3, 8, 17, 0)));
    assert_eq!(clock.elapsed(fri_1658, at(NY, 2024, 3, 11, 9, 3)), 300);
    assert!(!clock.is_open(at(NY, 2024, 3, 9, 12, 0)));
    assert!(clock.is_open(at(NY, 2024, 3, 11, 9, 0)));
}

#[test]
fn daylight_saving_days_count_their_real_length() {
    // Always open in New York: the spring-forward Sunday has 23 hours, the fall-back one 25.
    let always =
        BusinessClock::new(OfficeHours::parse(&json!({})).unwrap(), NY, [NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()]);
    assert_eq!(always.elapsed(at(NY, 2024, 3, 10, 0, 0), at(NY, 2024, 3, 11, 0, 0)), 23 * 3600);
    assert_eq!(always.elapsed(at(NY, 2024, 11, 3, 0, 0), at(NY, 2024, 11, 4, 0, 0)), 25 * 3600);
    // 9 to 5 in London across the change: each working day still has 8 hours.
    let london = BusinessClock::new(nine_to_five(), LONDON, []);
    assert_eq!(london.elapsed(at(LONDON, 2024, 3, 29, 0, 0), at(LONDON, 2024, 4, 2, 0, 0)), 2 * 8 * 3600);
    assert_eq!(london.deadline(at(LONDON, 2024, 3, 29, 16, 0), 2 * 3600), Some(at(LONDON, 2024, 4, 1, 10, 0)));
    // An interval starting inside the spring gap (02:30 does not exist) starts at 03:00.
    let night = BusinessClock::new(OfficeHours::parse(&json!({"sun": [[150, 240]]})).unwrap(), NY, []);
    assert_eq!(night.elapsed(at(NY, 2024, 3, 10, 0, 0), at(NY, 2024, 3, 11, 0, 0)), 3600);
}

#[test]
fn holidays_are_skipped() {
    let holidays = parse_holidays(&json!(["2024-12-25", "2024-12-24", "2024-12-25"])).unwrap();
    assert_eq!(holidays.len(), 2);
    let clock = BusinessClock::new(nine_to_five(), NY, holidays);
    // Monday 23 Dec 16:00 + 2 h: one hour on Monday, then Thursday 26th from 09:00.
    assert_eq!(clock.deadline(at(NY, 2024, 12, 23, 16, 0), 7200), Some(at(NY, 2024, 12, 26, 10, 0)));
    assert!(!clock.is_open(at(NY, 2024, 12, 25, 10, 0)));
    for bad in [json!("2024-12-25"), json!(["2024-13-01"]), json!([20241225]), json!(["25/12/2024"])] {
        assert!(parse_holidays(&bad).is_err(), "{bad}");
    }
}

#[test]
fn a_clock_that_never_opens_has_no_deadline() {
    let never = BusinessClock::new(OfficeHours::parse(&json!({"mon": []})).unwrap(), NY, []);
    assert_eq!(never.deadline(0, 1), None);
    assert_eq!(never.elapsed(0, 10_000_000), 0);
}

fn any_tz() -> impl Strategy<Value = chrono_tz::Tz> {
    prop_oneof![
        Just(NY),
        Just(LONDON),
        Just(chrono_tz::Asia::Kolkata),
        Just(chrono_tz::UTC),
        Just(chrono_tz::Australia::Lord_Howe)
    ]
}

fn any_hours() -> impl Strategy<Value = OfficeHours> {
    prop::collection::vec((0u32..7, 0u32..1440, 1u32..600), 0..6).prop_map(|spans| {
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut map = serde_json::Map::new();
        for (day, start, len) in spans {
            let list = map.entry(names[day as usize]).or_insert_with(|| json!([])).as_array_mut().unwrap();
            let end = (start + len).min(1440);
            let overlaps = list.iter().any(|p| {
                let (s, e) = (p[0].as_u64().unwrap() as u32, p[1].as_u64().unwrap() as u32);
                start < e && s < end
            });
            if !overlaps {
                list.push(json!([start, end]));
            }
        }
        OfficeHours::parse(&serde_json::Value::Object(map)).unwrap()
    })
}

fn any_clock() -> impl Strategy<Value = BusinessClock> {
    (any_hours(), any_tz(), prop::collection::vec(0i64..60, 0..4)).prop_map(|(hours, tz, offsets)| {
        let base = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        BusinessClock::new(hours, tz, offsets.into_iter().map(|d| base + chrono::Duration::days(d)))
    })
}

/// Instants around both 2024 daylight-saving changes (Feb to mid-November).
fn any_instant() -> impl Strategy<Value = i64> {
    1_706_745_600i64..1_731_628_800
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn elapsed_is_monotonic_and_additive(clock in any_clock(), mut t in prop::collection::vec(any_instant(), 3)) {
        t.sort_unstable();
        let (a, b, c) = (t[0], t[1], t[2]);
        prop_assert!(clock.elapsed(a, b) <= clock.elapsed(a, c));
        prop_assert!(clock.elapsed(a, b) <= b - a);
        prop_assert_eq!(clock.elapsed(a, b) + clock.elapsed(b, c), clock.elapsed(a, c));
    }

    #[test]
    fn deadline_agrees_with_elapsed(clock in any_clock(), t in any_instant(), u in any_instant()) {
        let (t, u) = (t.min(u), t.max(u));
        let n = clock.elapsed(t, u);
        let d = clock.deadline(t, n).expect("as much open time as was measured");
        prop_assert!(d <= u);
        prop_assert_eq!(clock.elapsed(t, d), n);
        if n > 0 {
            // The earliest such instant: one second less is not enough.
            prop_assert_eq!(clock.elapsed(t, d - 1), n - 1);
        }
    }

    #[test]
    fn always_open_is_the_wall_clock(tz in any_tz(), t in any_instant(), u in any_instant(), n in 0i64..10_000_000) {
        let clock = BusinessClock::new(OfficeHours::parse(&json!({})).unwrap(), tz, []);
        let (t, u) = (t.min(u), t.max(u));
        prop_assert_eq!(clock.elapsed(t, u), u - t);
        prop_assert_eq!(clock.deadline(t, n), Some(t + n));
        // The same with a holiday far away (takes the day-by-day path).
        let slow = BusinessClock::new(OfficeHours::parse(&json!({})).unwrap(), tz, [NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()]);
        prop_assert_eq!(slow.elapsed(t, u), u - t);
        prop_assert_eq!(slow.deadline(t, n), Some(t + n));
    }

    #[test]
    fn holidays_never_count(clock in any_clock(), t in any_instant(), len in 0i64..(10 * 86_400)) {
        let with_holiday = {
            let day = chrono::DateTime::from_timestamp(t, 0).unwrap().date_naive();
            let mut holidays: Vec<NaiveDate> = clock_holidays(&clock);
            holidays.extend([day.pred_opt().unwrap(), day, day.succ_opt().unwrap()]);
            BusinessClock::new(clock_hours(&clock), clock_tz(&clock), holidays)
        };
        prop_assert!(with_holiday.elapsed(t, t + len) <= clock.elapsed(t, t + len));
    }
}

fn clock_hours(c: &BusinessClock) -> OfficeHours {
    c.parts().0.clone()
}
fn clock_tz(c: &BusinessClock) -> chrono_tz::Tz {
    c.parts().1
}
fn clock_holidays(c: &BusinessClock) -> Vec<NaiveDate> {
    c.parts().2
}

// ---- SLA evaluation ----

fn policy(first: Option<i64>, next: Option<i64>, close: Option<i64>) -> Policy {
    Policy {
        first_response_seconds: first,
        next_response_seconds: next,
        time_to_close_seconds: close,
        business_hours: true,
        at_risk_percent: 20,
    }
}

fn m(at: i64, what: Happening) -> Moment {
    Moment { at, what }
}

#[test]
fn first_response_at_risk_then_breached_over_the_weekend() {
    let clock = ny_clock();
    let p = policy(Some(300), None, None);
    let start = at(NY, 2024, 3, 8, 16, 58);
    let timeline = [m(start, Happening::CustomerMessage)];
    let eval = |now| evaluate(&p, &clock, start, &timeline, now);
    let e = eval(start);
    assert_eq!(e.state, State::OnTrack);
    assert_eq!(e.runs[0].due_at, Some(at(NY, 2024, 3, 11, 9, 3)));
    assert_eq!(e.runs[0].at_risk_at, Some(at(NY, 2024, 3, 11, 9, 2)));
    assert_eq!(e.next_check_at, Some(at(NY, 2024, 3, 11, 9, 2)));
    // All weekend: two minutes counted, still on track.
    assert_eq!(eval(at(NY, 2024, 3, 10, 12, 0)).state, State::OnTrack);
    let risky = eval(at(NY, 2024, 3, 11, 9, 2));
    assert_eq!((risky.state, risky.status), (State::AtRisk, Status::Active));
    assert_eq!(risky.next_check_at, Some(at(NY, 2024, 3, 11, 9, 3)));
    let late = eval(at(NY, 2024, 3, 11, 9, 3));
    assert_eq!((late.state, late.status, late.next_check_at), (State::Breached, Status::Missed, None));
}

#[test]
fn a_reply_before_due_is_a_hit() {
    let clock = ny_clock();
    let p = policy(Some(300), None, None);
    let start = at(NY, 2024, 3, 11, 10, 0);
    let timeline = [m(start, Happening::CustomerMessage), m(start + 299, Happening::TeamReply)];
    let e = evaluate(&p, &clock, start, &timeline, start + 10_000);
    assert_eq!((e.state, e.status, e.runs[0].elapsed), (State::OnTrack, Status::Hit, 299));
    let on_due = [m(start, Happening::CustomerMessage), m(start + 300, Happening::TeamReply)];
    assert_eq!(evaluate(&p, &clock, start, &on_due, start + 10_000).status, Status::Missed);
}

#[test]
fn snoozing_pauses_and_the_snooze_ends_by_itself() {
    let clock = BusinessClock::calendar();
    let p = policy(Some(600), None, None);
    let timeline = [m(0, Happening::CustomerMessage), m(100, Happening::Snoozed { until: 1000 })];
    let paused = evaluate(&p, &clock, 0, &timeline, 500);
    assert_eq!((paused.runs[0].elapsed, paused.runs[0].due_at), (100, None));
    let resumed = evaluate(&p, &clock, 0, &timeline, 1200);
    assert_eq!((resumed.runs[0].elapsed, resumed.runs[0].due_at), (300, Some(1500)));
    // A customer message ends the snooze early.
    let woken = [timeline[0], timeline[1], m(400, Happening::CustomerMessage)];
    assert_eq!(evaluate(&p, &clock, 0, &woken, 500).runs[0].elapsed, 200);
}

#[test]
fn next_response_runs_only_while_the_customer_waits() {
    let clock = BusinessClock::calendar();
    let p = policy(None, Some(100), Some(1000));
    let timeline = [
        m(0, Happening::CustomerMessage),
        m(10, Happening::TeamReply),
        // Waiting on the customer: neither next response nor time to close runs.
        m(500, Happening::CustomerMessage),
        m(550, Happening::TeamReply),
        m(900, Happening::CustomerMessage),
    ];
    let e = evaluate(&p, &clock, 0, &timeline, 1100);
    let next: Vec<_> = e.runs.iter().filter(|r| r.target == Target::NextResponse).collect();
    assert_eq!(next.len(), 2);
    assert_eq!((next[0].started_at, next[0].status), (500, Status::Hit));
    assert_eq!((next[1].started_at, next[1].status, next[1].state), (900, Status::Missed, State::Breached));
    let close = e.runs.iter().find(|r| r.target == Target::TimeToClose).unwrap();
    // Counted: 0–10, 500–550, 900–1100.
    assert_eq!(close.elapsed, 10 + 50 + 200);
    assert_eq!(e.status, Status::Missed);
}

#[test]
fn closing_ends_time_to_close_and_pauses_responses() {
    let clock = BusinessClock::calendar();
    let p = policy(Some(100), None, Some(100));
    let timeline = [m(0, Happening::CustomerMessage), m(50, Happening::Closed)];
    let e = evaluate(&p, &clock, 0, &timeline, 10_000);
    assert_eq!(e.runs[0].elapsed, 50);
    assert_eq!(e.runs[0].status, Status::Active);
    assert_eq!(e.runs[1].status, Status::Hit);
    assert_eq!(e.next_check_at, None);
}

#[test]
fn policies_are_validated() {
    assert!(policy(Some(60), None, None).validate().is_ok());
    assert_eq!(policy(None, None, None).validate().unwrap_err().field, "first_response_seconds");
    assert_eq!(policy(Some(0), None, None).validate().unwrap_err().field, "first_response_seconds");
    assert_eq!(policy(None, Some(-1), None).validate().unwrap_err().field, "next_response_seconds");
    let mut p = policy(Some(60), None, None);
    p.at_risk_percent = 100;
    assert_eq!(p.validate().unwrap_err().field, "at_risk_percent");
}

/// `cargo test -p rapport-core --release sla::tests::bench_evaluate -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_evaluate() {
    let clock = BusinessClock::new(nine_to_five(), NY, parse_holidays(&json!(["2024-03-15"])).unwrap());
    let p = policy(Some(3600), Some(1800), Some(5 * 86_400));
    let start = at(NY, 2024, 3, 4, 16, 0);
    // Two weeks of back and forth: 20 turns, with a snooze, spanning the DST change.
    let mut timeline = Vec::new();
    for turn in 0..20 {
        let t = start + turn * 15 * 3600;
        timeline.push(m(t, Happening::CustomerMessage));
        timeline.push(m(t + 1200, Happening::TeamReply));
        if turn == 10 {
            timeline.push(m(t + 1300, Happening::Snoozed { until: t + 86_400 }));
        }
    }
    let now = start + 15 * 86_400;
    let runs = 5_000;
    let begin = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..runs {
        total += std::hint::black_box(evaluate(&p, &clock, start, std::hint::black_box(&timeline), now)).runs.len();
    }
    let per = begin.elapsed().as_secs_f64() / runs as f64 * 1e6;
    println!("SLA evaluation, {} moments, {} runs, business hours: {per:.1} µs wall", timeline.len(), total / runs);
}
