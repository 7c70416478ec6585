//! Builds the two web bundles when missing or older than their sources: the messenger widget
//! (web/widget → web/dist/widget, `widget_assets.rs`, served by `routes::widget`) and the agent app
//! (web/app → web/dist/app, `app_assets.rs`, served by `routes::app`). Each is npm + Vite; every
//! built file is embedded with `include_bytes!`.
//!
//! Without npm on PATH an existing bundle is used as it is; without either the build fails with
//! what to do. `RAPPORT_WIDGET_SKIP_BUILD=1` uses the existing bundles even when npm is there.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;
use std::{env, fs};

/// One web bundle: its sources, where it is built, the file that proves a build, and the Rust
/// file (in OUT_DIR) and static that list its files.
struct Bundle {
    name: &'static str,
    sources: &'static [&'static str],
    entry: &'static str,
    manifest: &'static str,
    static_name: &'static str,
}

const BUNDLES: &[Bundle] = &[
    Bundle {
        name: "widget",
        sources: WIDGET_SOURCES,
        entry: "widget.js",
        manifest: "widget_assets.rs",
        static_name: "WIDGET_FILES",
    },
    Bundle {
        name: "app",
        sources: &["src", "index.html", "package.json", "package-lock.json", "tsconfig.json", "vite.config.ts"],
        entry: "index.html",
        manifest: "app_assets.rs",
        static_name: "APP_FILES",
    },
];

/// Inputs of the widget bundle, relative to web/widget; a change to any of them rebuilds it.
const WIDGET_SOURCES: &[&str] = &[
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
    println!("cargo:rerun-if-env-changed=RAPPORT_WIDGET_SKIP_BUILD");
    for bundle in BUNDLES {
        prepare(&root, bundle);
    }
}

/// Builds `bundle` when stale (and npm is there), then writes its manifest into OUT_DIR.
fn prepare(root: &Path, bundle: &Bundle) {
    let source = root.join("web").join(bundle.name);
    let dist = root.join("web/dist").join(bundle.name);
    for file in bundle.sources {
        println!("cargo:rerun-if-changed={}", source.join(file).display());
    }
    println!("cargo:rerun-if-changed={}", dist.join(".stamp").display());

    let built = dist.join(".stamp").exists() && dist.join(bundle.entry).exists();
    let stale = !built || newest(&source, bundle.sources) > modified(&dist.join(".stamp"));
    let skip = env::var("RAPPORT_WIDGET_SKIP_BUILD").is_ok_and(|v| v == "1");
    let name = bundle.name;
    if stale && !skip {
        if npm_available() {
            build(&source, &dist);
        } else if built {
            println!("cargo:warning=npm is not on PATH: serving the existing, older bundle in web/dist/{name}");
        } else {
            panic!(
                "web/{name} is not built and npm is not on PATH.\n\
                 Install Node.js 20+ with npm, or build it elsewhere: `cd web/{name} && npm ci && npm run build` \
                 (writes web/dist/{name})."
            );
        }
    }
    if !dist.join(bundle.entry).exists() {
        panic!("web/dist/{name}/{} is missing: run `cd web/{name} && npm ci && npm run build`", bundle.entry);
    }
    write_manifest(&dist, bundle);
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

fn run(source: &Path, args: &[&str], out: Option<&Path>) {
    let mut command = Command::new("npm");
    command.args(args).current_dir(source);
    if let Some(out) = out {
        command.env("RAPPORT_WIDGET_OUT", out).env("RAPPORT_APP_OUT", out);
    }
    let output = command.output().unwrap_or_else(|e| panic!("could not run npm {}: {e}", args.join(" ")));
    if !output.status.success() {
        panic!(
            "`npm {}` in {} failed:\n{}\n{}",
            args.join(" "),
            source.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// `npm ci` (exactly the lock file, which it never rewrites) when node_modules is missing, then `npm run build` into a
/// fresh folder that replaces
/// web/dist/<bundle> whole, so a concurrent or failed build never leaves a half-written bundle.
fn build(source: &Path, dist: &Path) {
    if !source.join("node_modules").exists() {
        run(source, &["ci", "--no-audit", "--no-fund"], None);
    }
    let name = dist.file_name().expect("dist has a name").to_string_lossy().to_string();
    let parent = dist.parent().expect("dist has a parent");
    fs::create_dir_all(parent).expect("create web/dist");
    let fresh = parent.join(format!("{name}.build-{}", std::process::id()));
    let _ = fs::remove_dir_all(&fresh);
    run(source, &["run", "build"], Some(&fresh));
    fs::write(fresh.join(".stamp"), b"built by crates/http/build.rs\n").expect("write the build stamp");
    let old = parent.join(format!("{name}.old-{}", std::process::id()));
    if dist.exists() {
        fs::rename(dist, &old).expect("move the old bundle aside");
    }
    fs::rename(&fresh, dist).expect("move the new bundle in place");
    let _ = fs::remove_dir_all(&old);
}

/// Writes `<STATIC>: &[(&str, &[u8])]`: each file's path relative to the bundle, and its bytes.
fn write_manifest(dist: &Path, bundle: &Bundle) {
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
    let (name, static_name) = (bundle.name, bundle.static_name);
    let mut code =
        format!("/// Every file of the built {name} bundle: path relative to web/dist/{name}, and its bytes.\n");
    code.push_str(&format!("pub static {static_name}: &[(&str, &[u8])] = &[\n"));
    for (name, path) in files {
        let absolute = path.canonicalize().expect("canonical path");
        code.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", absolute.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join(bundle.manifest);
    fs::write(out, code).expect("write the bundle manifest");
}
