//! `grokform emulator` as a process: start-up output, flags (`--api-key`, `--group`,
//! `--fault`, `--data`), constant memory on a large streamed upload, SIGTERM, restart.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use crate::support::http::api_at;
use crate::support::{Server, grokform};

/// Peak resident memory of a process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Filters for a banner: the process's real port and data folder.
fn filters(process: &crate::support::ServerProcess, data: &Path) -> crate::support::Filters {
    crate::support::Filters::default()
        .path(data, "[DATA]")
        .server(process.addr())
}

#[test]
fn starts_with_the_default_demo_key_and_says_so() {
    let process = Server::new().spawn();
    let _filters = filters(&process, Path::new("/nowhere"))
        .settings()
        .bind_to_scope();
    insta::assert_snapshot!(process.banner, @r"
    grokform emulator listening on http://127.0.0.1:[PORT]/api
    api key: `grokform-local` (the default demo key; pass `--api-key` to choose one)
    data: in a temporary folder, removed on exit (use `--data DIR` to keep it)
    inspect: http://127.0.0.1:[PORT]/_emulator/inspect; stop with Ctrl-C
    ");
    api_at(
        process.addr(),
        "grokform-local",
        "GET",
        "/public/v1/healthcheck",
    )
    .send()
    .ok();
    assert_eq!(process.terminate(), 0);
}

#[test]
fn flags_set_keys_groups_faults_and_data_and_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let kept = Server::new().data(data.path()).key("team-secret-1");
    let process = kept
        .clone()
        .group("Chemists")
        .fault("GET /public/v1/healthcheck status=503 count=1 retry-after=2")
        .spawn();
    let _filters = filters(&process, data.path()).settings().bind_to_scope();
    insta::assert_snapshot!(process.banner, @r#"
    grokform emulator listening on http://127.0.0.1:[PORT]/api
    api key: as given with `--api-key` (not shown)
    data: [DATA]
    fault: {"method":"GET","path_prefix":"/public/v1/healthcheck","kind":"status","status":503,"retry_after_secs":2,"count":1}
    inspect: http://127.0.0.1:[PORT]/_emulator/inspect; stop with Ctrl-C
    "#);
    assert!(!process.banner.contains("team-secret-1"));
    let key = "team-secret-1";
    assert_eq!(
        api_at(
            process.addr(),
            "grokform-local",
            "GET",
            "/public/v1/healthcheck"
        )
        .send()
        .status,
        401,
        "the demo key is off once `--api-key` is given"
    );
    let faulted = api_at(process.addr(), key, "GET", "/public/v1/healthcheck").send();
    assert_eq!(
        (faulted.status, faulted.header("retry-after")),
        (503, Some("2"))
    );
    api_at(process.addr(), key, "GET", "/public/v1/healthcheck")
        .send()
        .ok();
    let table = api_at(process.addr(), key, "POST", "/public/v1/tables/Cars")
        .body("a\n1\n")
        .send()
        .json()["ID"]
        .as_str()
        .unwrap()
        .to_owned();
    let shared = api_at(
        process.addr(),
        key,
        "POST",
        &format!("/public/v1/entities/{table}/shares?groups=chemists"),
    )
    .send();
    assert_eq!(shared.ok().json()["status"], "success");
    assert_eq!(process.terminate(), 0);

    let restarted = kept.spawn();
    let answer = api_at(restarted.addr(), key, "GET", "/public/v1/tables/Cars").send();
    assert_eq!(answer.ok().text(), "a\n1\n");
}

#[test]
fn a_large_upload_streams_to_disk_in_constant_memory() {
    const MIB: usize = 1024 * 1024;
    const SIZE_MIB: usize = 512;
    let data = tempfile::tempdir().unwrap();
    let process = Server::new().data(data.path()).spawn();
    let before = peak_rss_kib(process.pid()).expect("Linux /proc");

    let mut stream = TcpStream::connect(process.addr()).unwrap();
    write!(
        stream,
        "POST /api/public/v1/files/System.AppData/big.bin HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer grokform-local\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        SIZE_MIB * MIB
    )
    .unwrap();
    let chunk: Vec<u8> = (0..MIB).map(|i| (i % 251) as u8).collect();
    for _ in 0..SIZE_MIB {
        stream.write_all(&chunk).unwrap();
    }
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!answer.contains("api-error"), "{answer}");

    let after = peak_rss_kib(process.pid()).unwrap();
    let grown_mib = after.saturating_sub(before) / 1024;
    eprintln!("peak RSS {before} KiB before, {after} KiB after a {SIZE_MIB} MiB upload");
    assert!(
        grown_mib < 64,
        "peak memory grew by {grown_mib} MiB for a {SIZE_MIB} MiB upload"
    );
    // the bytes are one blob of the data folder
    let blobs: Vec<u64> = std::fs::read_dir(data.path().join("blobs"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert_eq!(blobs, [(SIZE_MIB * MIB) as u64]);
}

#[test]
fn bad_flags_and_a_busy_port_are_clear_errors() {
    let run = grokform(["emulator", "--fault", "POST explode"]).run();
    run.code(1);
    assert!(
        run.stderr
            .contains("invalid fault `POST explode`: `explode` is not understood"),
        "{}",
        run.stderr
    );
    let process = Server::new().spawn();
    let port = process.addr().port().to_string();
    let run = grokform(["emulator", "--port", &port]).run();
    run.code(1);
    assert!(
        run.stderr
            .contains(&format!("cannot listen on `127.0.0.1:{port}`")),
        "{}",
        run.stderr
    );
}

/// A running `grokform emulator --port 0 ARGS` process, killed on drop (for test files that
/// read its banner and address directly).
pub struct Process {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
    pub banner: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `grokform emulator --port 0 ARGS` and reads its banner.
pub fn spawn(args: &[&str]) -> Process {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(crate::support::binary())
        .arg("emulator")
        .args(["--port", "0"])
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GROKFORM_EMULATOR_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the emulator exited: {banner}");
        }
        banner.push_str(&line);
        if line.starts_with("inspect:") {
            break;
        }
    }
    let url = banner.lines().next().unwrap().rsplit(' ').next().unwrap();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/api")
        .parse()
        .expect("an address in the first line");
    Process {
        child,
        addr,
        banner,
    }
}
