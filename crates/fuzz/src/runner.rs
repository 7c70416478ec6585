//! The bounded run: every corpus entry of a target, then random mutations of the corpus for a
//! fixed time. A panic (a crash or a failed assertion) is caught, its input saved under the
//! artifacts folder, and reported.
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::mutate::{mutate, Rng};
use crate::Target;

/// The corpus entries of a target (`<corpus>/<target>/*`), sorted by name.
pub fn corpus(root: &Path, target: &str) -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut entries = Vec::new();
    let dir = root.join(target);
    if !dir.exists() {
        return Ok(entries);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() {
            let data = std::fs::read(&path)?;
            entries.push((path, data));
        }
    }
    entries.sort();
    Ok(entries)
}

/// What one bounded run of a target did.
#[derive(Debug, Default)]
pub struct Report {
    pub corpus: usize,
    pub execs: u64,
    pub elapsed: Duration,
    /// The slowest single input.
    pub slowest: Duration,
    /// The first failure: the panic message and where its input was saved.
    pub crash: Option<(String, Option<PathBuf>)>,
}

/// Runs `check` on `data`, returning the panic message if it panicked.
pub fn run_one(check: fn(&[u8]), data: &[u8], messages: &Arc<Mutex<Option<String>>>) -> Result<(), String> {
    IN_CHECK.with(|c| c.set(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(data)));
    IN_CHECK.with(|c| c.set(false));
    match outcome {
        Ok(()) => Ok(()),
        Err(_) => Err(messages.lock().map(|mut m| m.take()).ok().flatten().unwrap_or_else(|| "panic".into())),
    }
}

thread_local! {
    /// Whether a check is running on this thread: only its panics are kept quiet.
    static IN_CHECK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Replaces the panic hook with one that keeps the message (with its location) instead of
/// printing it, so a run reports each crash once.
pub fn capture_panics() -> Arc<Mutex<Option<String>>> {
    let messages = Arc::new(Mutex::new(None));
    let sink = Arc::clone(&messages);
    panic::set_hook(Box::new(move |info| {
        if !IN_CHECK.with(|c| c.get()) {
            eprintln!("{info}");
        } else if let Ok(mut slot) = sink.lock() {
            *slot = Some(info.to_string());
        }
    }));
    messages
}

/// Replays the corpus, then mutates it until `budget` has passed.
pub fn run(target: Target, corpus_root: &Path, artifacts: &Path, budget: Duration, seed: u64) -> Report {
    let messages = capture_panics();
    let entries = corpus(corpus_root, target.name).unwrap_or_default();
    let mut report = Report { corpus: entries.len(), ..Report::default() };
    let started = Instant::now();
    let time_one = |data: &[u8], report: &mut Report| {
        let t = Instant::now();
        let outcome = run_one(target.check, data, &messages);
        report.slowest = report.slowest.max(t.elapsed());
        report.execs += 1;
        outcome
    };
    for (path, data) in &entries {
        if let Err(message) = time_one(data, &mut report) {
            report.crash = Some((message, Some(path.clone())));
            report.elapsed = started.elapsed();
            return report;
        }
    }
    let inputs: Vec<Vec<u8>> = entries.into_iter().map(|(_, data)| data).collect();
    let mut rng = Rng::new(seed);
    while started.elapsed() < budget {
        let data = mutate(&mut rng, &inputs, target.dictionary, target.json);
        if let Err(message) = time_one(&data, &mut report) {
            report.crash = Some((message, save(artifacts, target.name, &data)));
            break;
        }
    }
    report.elapsed = started.elapsed();
    report
}

/// Saves a failing input as `<artifacts>/<target>/crash-<hash>` (the name libFuzzer uses).
fn save(artifacts: &Path, target: &str, data: &[u8]) -> Option<PathBuf> {
    let dir = artifacts.join(target);
    std::fs::create_dir_all(&dir).ok()?;
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
    let path = dir.join(format!("crash-{hash:016x}"));
    std::fs::write(&path, data).ok()?;
    Some(path)
}
