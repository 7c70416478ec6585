//! Every committed corpus entry (`fuzz/corpus/<target>/`) passes its target's check: the seeds
//! and every crash found so far stay regression inputs of plain `cargo test`.
use std::path::PathBuf;

use rapport_fuzz::{runner, TARGETS};

#[test]
fn every_corpus_entry_passes_its_check() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let messages = runner::capture_panics();
    let mut failures = Vec::new();
    for target in TARGETS {
        let entries = runner::corpus(&root, target.name).expect("corpus readable");
        assert!(!entries.is_empty(), "fuzz/corpus/{} has no seeds", target.name);
        for (path, data) in entries {
            if let Err(message) = runner::run_one(target.check, &data, &messages) {
                failures.push(format!("{}: {message}", path.display()));
            }
        }
    }
    let _ = std::panic::take_hook();
    assert!(failures.is_empty(), "corpus entries failing:\n{}", failures.join("\n"));
}
