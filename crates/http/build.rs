//! Builds the messenger widget (web/widget: npm + Vite) into web/dist/widget when the bundle is
//! missing or older than its sources, then writes `widget_assets.rs` into OUT_DIR: every built file,
//! embedded with `include_bytes!`, for `routes::widget` to serve.
//!
//! Without npm on PATH an existing bundle is used as it is; without either the build fails with
//! what to do. `RAPPORT_WIDGET_SKIP_BUILD=1` uses the existing bundle even when npm is there.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;
use std::{env, fs};

/// Inputs of the bundle, relative to web/widget; a change to any of them rebuilds it.
const SOURCES: &[&str] = &[
    "src",
    "frame.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
    "vite.loader.config.ts",
];

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    let widget = root.join("web/widget");
    let dist = root.join("web/dist/widget");
    for source in SOURCES {
        println!("cargo:rerun-if-changed={}", widget.join(source).display());
    }
    println!("cargo:rerun-if-changed={}", dist.join(".stamp").display());
    println!("cargo:rerun-if-env-changed=RAPPORT_WIDGET_SKIP_BUILD");

    let built = dist.join(".stamp").exists() && dist.join("widget.js").exists();
    let stale = !built || newest(&widget, SOURCES) > modified(&dist.join(".stamp"));
    let skip = env::var("RAPPORT_WIDGET_SKIP_BUILD").is_ok_and(|v| v == "1");
    if stale && !skip {
        if npm_available() {
            build(&widget, &dist);
        } else if built {
            println!("cargo:warning=npm is not on PATH: serving the existing, older widget bundle in web/dist/widget");
        } else {
            panic!(
                "the messenger widget is not built and npm is not on PATH.\n\
                 Install Node.js 20+ with npm, or build it elsewhere: `cd web/widget && npm install && npm run build` \
                 (writes web/dist/widget)."
            );
        }
    }
    if !dist.join("widget.js").exists() {
        panic!("web/dist/widget/widget.js is missing: run `cd web/widget && npm install && npm run build`");
    }
    write_manifest(&dist);
}

fn modified(path: &Path) -> SystemTime {
    fs::metadata(path).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The newest modification time among the sources (folders walked recursively).
fn newest(base: &Path, sources: &[&str]) -> SystemTime {
    fn walk(path: &Path, newest: &mut SystemTime) {
        *newest = (*newest).max(modified(path));
        if let Ok(entries) = fs::read_dir(path) {
            for entry in entries.flatten() {
                walk(&entry.path(), newest);
            }
        }
    }
    let mut time = SystemTime::UNIX_EPOCH;
    for source in sources {
        walk(&base.join(source), &mut time);
    }
    time
}

fn npm_available() -> bool {
    Command::new("npm").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn run(widget: &Path, args: &[&str], out: Option<&Path>) {
    let mut command = Command::new("npm");
    command.args(args).current_dir(widget);
    if let Some(out) = out {
        command.env("RAPPORT_WIDGET_OUT", out);
    }
    let output = command.output().unwrap_or_else(|e| panic!("could not run npm {}: {e}", args.join(" ")));
    if !output.status.success() {
        panic!(
            "`npm {}` in web/widget failed:\n{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// `npm install` (from the lock file) when node_modules is missing, then `npm run build` into a
/// fresh folder that replaces
/// web/dist/widget whole, so a concurrent or failed build never leaves a half-written bundle.
fn build(widget: &Path, dist: &Path) {
    if !widget.join("node_modules").exists() {
        run(widget, &["install", "--no-audit", "--no-fund"], None);
    }
    let parent = dist.parent().expect("dist has a parent");
    fs::create_dir_all(parent).expect("create web/dist");
    let fresh = parent.join(format!("widget.build-{}", std::process::id()));
    let _ = fs::remove_dir_all(&fresh);
    run(widget, &["run", "build"], Some(&fresh));
    fs::write(fresh.join(".stamp"), b"built by crates/http/build.rs\n").expect("write the build stamp");
    let old = parent.join(format!("widget.old-{}", std::process::id()));
    if dist.exists() {
        fs::rename(dist, &old).expect("move the old bundle aside");
    }
    fs::rename(&fresh, dist).expect("move the new bundle in place");
    let _ = fs::remove_dir_all(&old);
}

/// Writes `WIDGET_FILES: &[(&str, &[u8])]`: each file's path relative to the bundle, and its bytes.
fn write_manifest(dist: &Path) {
    fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) {
        let mut entries: Vec<_> = fs::read_dir(dir).expect("read the bundle").flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                collect(&path, &format!("{prefix}{name}/"), files);
            } else {
                files.push((format!("{prefix}{name}"), path));
            }
        }
    }
    let mut files = Vec::new();
    collect(dist, "", &mut files);
    let mut code =
        String::from("/// Every file of the built widget bundle: path relative to web/dist/widget, and its bytes.\n");
    code.push_str("pub static WIDGET_FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in files {
        let absolute = path.canonicalize().expect("canonical path");
        code.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", absolute.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("widget_assets.rs");
    fs::write(out, code).expect("write widget_assets.rs");
}
