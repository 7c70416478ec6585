//! The soak's verdicts, from its memory samples and per-minute latencies: pure arithmetic, so it
//! is tested without a server.
use std::fmt;

/// Resident memory after the load may be at most this many times the warm idle figure.
pub const MAX_AFTER_LOAD_RATIO: f64 = 2.0;
/// A least-squares slope of the load's last minutes above this (MiB a minute) is a growth trend:
/// 0.5 MiB a minute is 2.5 MiB over five minutes, a few percent of the server's size.
pub const MAX_SLOPE_MIB_PER_MINUTE: f64 = 0.5;
/// The last minutes' p99 may be at most this many times the first minutes' (shared cores make
/// p99 noisy from one minute to the next; a server that degrades goes well past it).
pub const MAX_P99_RATIO: f64 = 1.5;

/// What the server was doing when a sample was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The short load that warms caches, pools and the allocator.
    WarmUp,
    /// Idle after the warm-up: the baseline.
    WarmIdle,
    /// The measured load.
    Load,
    /// Idle after the load.
    Idle,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::WarmUp => "warm-up",
            Phase::WarmIdle => "warm idle",
            Phase::Load => "load",
            Phase::Idle => "idle",
        })
    }
}

/// One reading of the server's memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the start of the phase.
    pub seconds: f64,
    pub phase: Phase,
    /// VmRSS in KiB.
    pub rss_kib: u64,
}

impl Sample {
    pub fn rss_mib(&self) -> f64 {
        self.rss_kib as f64 / 1024.0
    }
}

/// The least-squares slope of `y` over `x`; `None` with fewer than two distinct `x`.
pub fn slope(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    Some(sxy / sxx)
}

/// The minutes compared by the trend and p99 verdicts: five, or half of a shorter load.
pub fn window_minutes(load_minutes: u64) -> u64 {
    (load_minutes / 2).clamp(1, 5)
}

/// The soak's three verdicts.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdicts {
    pub warm_idle_mib: f64,
    pub after_load_mib: f64,
    pub peak_load_mib: f64,
    /// The load's last [`window_minutes`], for the slope and the p99 comparison.
    pub window_minutes: u64,
    pub slope_mib_per_minute: Option<f64>,
    pub p99_first_ms: f64,
    pub p99_last_ms: f64,
}

impl Verdicts {
    /// Judges the samples of a run whose load lasted `load_minutes`, with the p99 of the first and
    /// of the last window of the load. `None` without a warm idle and an after-load sample.
    pub fn judge(samples: &[Sample], load_minutes: u64, p99_first_ms: f64, p99_last_ms: f64) -> Option<Self> {
        let last_of = |phase: Phase| samples.iter().rev().find(|s| s.phase == phase).map(Sample::rss_mib);
        let window = window_minutes(load_minutes);
        let from = (load_minutes - window.min(load_minutes)) as f64 * 60.0;
        let trend: Vec<(f64, f64)> = samples
            .iter()
            .filter(|s| s.phase == Phase::Load && s.seconds >= from)
            .map(|s| (s.seconds / 60.0, s.rss_mib()))
            .collect();
        let peak_load_mib = samples.iter().filter(|s| s.phase == Phase::Load).map(Sample::rss_mib).fold(0.0, f64::max);
        Some(Self {
            warm_idle_mib: last_of(Phase::WarmIdle)?,
            after_load_mib: last_of(Phase::Idle)?,
            peak_load_mib,
            window_minutes: window,
            slope_mib_per_minute: slope(&trend),
            p99_first_ms,
            p99_last_ms,
        })
    }

    pub fn after_load_ratio(&self) -> f64 {
        self.after_load_mib / self.warm_idle_mib.max(f64::MIN_POSITIVE)
    }

    pub fn after_load_ok(&self) -> bool {
        self.after_load_ratio() <= MAX_AFTER_LOAD_RATIO
    }

    pub fn no_growth(&self) -> bool {
        self.slope_mib_per_minute.is_some_and(|s| s <= MAX_SLOPE_MIB_PER_MINUTE)
    }

    pub fn p99_ratio(&self) -> f64 {
        self.p99_last_ms / self.p99_first_ms.max(f64::MIN_POSITIVE)
    }

    pub fn p99_stable(&self) -> bool {
        self.p99_ratio() <= MAX_P99_RATIO
    }
}

impl fmt::Display for Verdicts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = |ok: bool| if ok { "PASS" } else { "FAIL" };
        writeln!(
            f,
            "{}  after-load RSS {:.1} MiB = {:.2}x warm idle {:.1} MiB (limit {MAX_AFTER_LOAD_RATIO}x; peak under load {:.1} MiB)",
            mark(self.after_load_ok()),
            self.after_load_mib,
            self.after_load_ratio(),
            self.warm_idle_mib,
            self.peak_load_mib
        )?;
        match self.slope_mib_per_minute {
            Some(s) => writeln!(
                f,
                "{}  RSS trend over the load's last {} min: {s:+.2} MiB/min (limit {MAX_SLOPE_MIB_PER_MINUTE})",
                mark(self.no_growth()),
                self.window_minutes
            )?,
            None => writeln!(f, "FAIL  RSS trend: too few samples in the load's last {} min", self.window_minutes)?,
        }
        writeln!(
            f,
            "{}  API p99 last {} min {:.1} ms vs first {} min {:.1} ms = {:.2}x (limit {MAX_P99_RATIO}x)",
            mark(self.p99_stable()),
            self.window_minutes,
            self.p99_last_ms,
            self.window_minutes,
            self.p99_first_ms,
            self.p99_ratio()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(phase: Phase, seconds: f64, mib: f64) -> Sample {
        Sample { seconds, phase, rss_kib: (mib * 1024.0) as u64 }
    }

    #[test]
    fn slope_of_a_line_is_its_gradient() {
        let points: Vec<(f64, f64)> = (0..10).map(|x| (x as f64, 3.0 + 0.5 * x as f64)).collect();
        assert!((slope(&points).unwrap() - 0.5).abs() < 1e-9);
        let flat: Vec<(f64, f64)> = (0..10).map(|x| (x as f64, 7.0)).collect();
        assert_eq!(slope(&flat), Some(0.0));
    }

    #[test]
    fn slope_needs_two_distinct_points() {
        assert_eq!(slope(&[]), None);
        assert_eq!(slope(&[(1.0, 2.0)]), None);
        assert_eq!(slope(&[(1.0, 2.0), (1.0, 3.0)]), None);
    }

    #[test]
    fn the_window_is_five_minutes_or_half_a_shorter_load() {
        assert_eq!(window_minutes(10), 5);
        assert_eq!(window_minutes(60), 5);
        assert_eq!(window_minutes(3), 1);
        assert_eq!(window_minutes(1), 1);
    }

    #[test]
    fn a_climbing_server_fails_and_a_flat_one_passes() {
        let mut climbing = vec![sample(Phase::WarmIdle, 30.0, 60.0)];
        let mut flat = climbing.clone();
        for i in 1..=60 {
            let t = i as f64 * 10.0;
            climbing.push(sample(Phase::Load, t, 60.0 + 7.5 * t / 60.0));
            flat.push(sample(Phase::Load, t, 80.0 + if i % 2 == 0 { 1.0 } else { -1.0 }));
        }
        climbing.push(sample(Phase::Idle, 60.0, 134.0));
        flat.push(sample(Phase::Idle, 60.0, 75.0));

        let bad = Verdicts::judge(&climbing, 10, 20.0, 45.0).unwrap();
        assert!(!bad.after_load_ok());
        assert!(!bad.no_growth());
        assert!((bad.slope_mib_per_minute.unwrap() - 7.5).abs() < 0.01);
        assert!(!bad.p99_stable());

        let good = Verdicts::judge(&flat, 10, 20.0, 22.0).unwrap();
        assert!(good.after_load_ok());
        assert!(good.no_growth());
        assert!(good.p99_stable());
        assert_eq!(good.warm_idle_mib, 60.0);
        assert_eq!(good.after_load_mib, 75.0);
    }

    #[test]
    fn only_the_last_window_counts_for_the_trend() {
        // Growth in the first half (caches filling), flat in the second: no trend.
        let mut samples = vec![sample(Phase::WarmIdle, 30.0, 50.0), sample(Phase::Idle, 60.0, 70.0)];
        for i in 1..=60 {
            let t = i as f64 * 10.0;
            samples.push(sample(Phase::Load, t, if t < 300.0 { 50.0 + t / 10.0 } else { 80.0 }));
        }
        let verdicts = Verdicts::judge(&samples, 10, 10.0, 10.0).unwrap();
        assert_eq!(verdicts.slope_mib_per_minute, Some(0.0));
        assert!(verdicts.no_growth());
    }

    #[test]
    fn no_verdict_without_both_idle_samples() {
        assert_eq!(Verdicts::judge(&[sample(Phase::Load, 10.0, 50.0)], 10, 1.0, 1.0), None);
    }
}
