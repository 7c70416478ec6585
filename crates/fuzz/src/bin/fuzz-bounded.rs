//! `fuzz-bounded [--seconds N] [--seed S] [--corpus DIR] [--artifacts DIR] [TARGET…]`: the stable
//! bounded fuzz run of `scripts/fuzz.sh` (every target when none is named). Exits 1 when a target
//! crashed or failed an assertion, printing the message and the saved input.
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rapport_fuzz::{runner, target, TARGETS};

fn main() -> ExitCode {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut seconds = 3.0f64;
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
    let mut corpus = repo.join("fuzz/corpus");
    let mut artifacts = repo.join("fuzz/artifacts");
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--seconds" => seconds = value().parse().unwrap_or_else(|_| usage("--seconds takes a number")),
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage("--seed takes an integer")),
            "--corpus" => corpus = PathBuf::from(value()),
            "--artifacts" => artifacts = PathBuf::from(value()),
            "-h" | "--help" => usage(""),
            name => names.push(target(name).unwrap_or_else(|| usage(&format!("unknown target {name}")))),
        }
    }
    if names.is_empty() {
        names = TARGETS.to_vec();
    }
    println!("seed {seed}, {seconds} s per target");
    let mut failed = 0;
    for t in names {
        let report = runner::run(t, &corpus, &artifacts, Duration::from_secs_f64(seconds), seed);
        println!(
            "{:<14} corpus {:>3}  execs {:>8}  {:>7.0}/s  slowest {:>6.1} ms  {}",
            t.name,
            report.corpus,
            report.execs,
            report.execs as f64 / report.elapsed.as_secs_f64().max(1e-9),
            report.slowest.as_secs_f64() * 1000.0,
            if report.crash.is_some() { "CRASH" } else { "ok" }
        );
        if let Some((message, input)) = report.crash {
            failed += 1;
            println!("  {message}");
            if let Some(input) = input {
                println!("  input: {}", input.display());
            }
        }
    }
    if failed > 0 {
        println!("{failed} target(s) failed");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("fuzz-bounded: {problem}");
    }
    let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
    eprintln!("usage: fuzz-bounded [--seconds N] [--seed S] [--corpus DIR] [--artifacts DIR] [TARGET…]");
    eprintln!("targets: {}", names.join(" "));
    std::process::exit(2)
}
