//! The binary as a newcomer uses it: create a workspace, an admin and a token, then serve.
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn rapport(args: &[&str], db_url: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(args)
        .env("RAPPORT_DATABASE_URL", db_url)
        .env_remove("RAPPORT_CONFIG")
        .output()
        .expect("run rapport");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or("").trim().to_string()
}

fn temp_db() -> String {
    let dir = std::env::temp_dir().join(format!("rapport-cli-{}-{}", std::process::id(), rand_suffix()));
    format!("sqlite://{}/rapport.db", dir.display())
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

fn http_get(addr: &str, path: &str, token: Option<&str>) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn workspace_admin_token_then_serve() {
    let db = temp_db();
    let (ok, out, err) = rapport(&["workspace", "create", "--name", "Acme"], &db);
    assert!(ok, "{err}");
    let app_id = last_line(&out);
    assert_eq!(app_id.len(), 8, "{out}");

    let (ok, out, err) = rapport(&["workspace", "show", &app_id], &db);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((shown["id"].as_str(), shown["name"].as_str()), (Some(app_id.as_str()), Some("Acme")));
    assert_eq!(shown["inbound_email"], serde_json::Value::Null, "no inbound domain, no address");
    let (ok, out, err) = rapport(&["workspace", "show", &app_id, "--inbound-domain", "in.acme.test"], &db);
    assert!(ok, "{err}");
    let shown: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["inbound_email"], format!("{app_id}@in.acme.test"));

    let admin = ["admin", "create", "--workspace", &app_id, "--email", "ann@acme.test", "--name", "Ann"];
    let (ok, _, err) = rapport(&[&admin[..], &["--password", "long enough pw", "--role", "owner"]].concat(), &db);
    assert!(ok, "{err}");
    let (ok, _, err) = rapport(&[&admin[..], &["--password", "short"]].concat(), &db);
    assert!(!ok && err.contains("at least 8"), "{err}");
    let (ok, _, err) = rapport(&["workspace", "show", "nope"], &db);
    assert!(!ok && err.contains("no workspace"), "{err}");

    let (ok, out, err) = rapport(&["token", "create", "--workspace", &app_id, "--admin", "ann@acme.test"], &db);
    assert!(ok, "{err}");
    let token = last_line(&out);
    assert!(token.starts_with("rpt_"), "{out}");

    let mut server = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RAPPORT_DATABASE_URL", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit("http://").next().unwrap().to_string();

    let health = http_get(&addr, "/healthz", None);
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let me = http_get(&addr, "/api/me", Some(&token));
    assert!(me.starts_with("HTTP/1.1 200") && me.contains(&app_id), "{me}");
    server.kill().ok();
    server.wait().ok();
}

#[test]
fn config_file_supplies_defaults_and_rejects_unknown_keys() {
    let dir = std::env::temp_dir().join(format!("rapport-cfg-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/from-config.db", dir.display());
    let config = dir.join("rapport.toml");
    std::fs::write(&config, format!("database_url = \"{db}\"\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["--config", config.to_str().unwrap(), "workspace", "create", "--name", "Cfg"])
        .env_remove("RAPPORT_DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("from-config.db").exists());

    std::fs::write(&config, "databse_url = \"typo\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .args(["--config", config.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown key"));
}
