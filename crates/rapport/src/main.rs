//! `rapport`: the one binary. Subcommands run the server, migrate, seed demo data and manage
//! workspaces, admins and tokens. Every flag can also come from a `RAPPORT_*` environment
//! variable or from the config file (`--config`, TOML): flag > environment > file > default.
#![forbid(unsafe_code)]

mod bench;
mod bench_live;
mod bench_soak;
mod bench_views;
mod cli;
mod config;
mod demo;
mod open_files;
mod outbound_email;
mod serve;

use clap::Parser;

/// mimalloc rather than glibc's malloc: under load glibc kept the memory freed by each thread in
/// that thread's arena (a dozen arenas: tokio workers, SQLite connection threads, blocking
/// threads), so resident memory climbed by megabytes a minute while the live heap stayed flat.
/// mimalloc gives freed pages back to the system. docs/BENCHMARKS.md, "Soak".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    if let Err(e) = config::load_config_file_into_env() {
        eprintln!("error: {e:#}");
        return std::process::ExitCode::from(2);
    }
    let args = cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAPPORT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
