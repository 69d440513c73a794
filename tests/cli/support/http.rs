//! A raw HTTP/1.1 client for the emulator tests: it sends paths exactly as written (no `..`
//! or `%2e%2e` normalisation, no header limits), which is what conformance and bad-input tests
//! need, and it needs no runtime.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use grokform::emulator::{DEFAULT_API_KEY, Emulator};

/// An answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// Asserts a plain success: 2xx, no `api-error`.
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert!(
            (200..300).contains(&self.status) && self.header("api-error").is_none(),
            "expected success, got {} {:?}\n{}",
            self.status,
            self.headers,
            self.text()
        );
        self
    }

    /// Asserts Datagrok's failure envelope and returns its message.
    #[track_caller]
    pub fn api_error(&self) -> String {
        assert_eq!(
            self.status,
            200,
            "ApiError comes with HTTP 200: {}",
            self.text()
        );
        assert!(self.header("api-error").is_some(), "no `api-error` header");
        let body = self.json();
        assert_eq!(body["#type"], "ApiError", "{body}");
        body["message"].as_str().expect("a message").to_owned()
    }
}

/// A request under construction.
pub struct Req {
    addr: SocketAddr,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A request with the default key to `/api` + `path` (sent exactly as written).
pub fn api(emulator: &Emulator, method: &str, path: &str) -> Req {
    Req {
        addr: emulator.addr(),
        method: method.to_owned(),
        target: format!("/api{path}"),
        headers: vec![(
            "Authorization".to_owned(),
            format!("Bearer {DEFAULT_API_KEY}"),
        )],
        body: Vec::new(),
    }
}

/// A request with `key` to `/api` + `path` of a server at `addr` (e.g. a `grokform emulator`
/// process).
pub fn api_at(addr: SocketAddr, key: &str, method: &str, path: &str) -> Req {
    Req {
        addr,
        method: method.to_owned(),
        target: format!("/api{path}"),
        headers: vec![("Authorization".to_owned(), format!("Bearer {key}"))],
        body: Vec::new(),
    }
}

/// A request to a path outside `/api` (e.g. `/_emulator/inspect`), with the default key.
pub fn raw(emulator: &Emulator, method: &str, target: &str) -> Req {
    let mut req = api(emulator, method, "");
    req.target = target.to_owned();
    req
}

/// A request with `key` to a path outside `/api` of a server at `addr`.
pub fn raw_at(addr: SocketAddr, key: &str, method: &str, target: &str) -> Req {
    let mut req = api_at(addr, key, method, "");
    req.target = target.to_owned();
    req
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn without_auth(mut self) -> Self {
        self.headers.retain(|(k, _)| k != "Authorization");
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends and reads the whole answer; `None` when the connection closed without one.
    pub fn try_send(self) -> Option<Answer> {
        let mut stream = TcpStream::connect(self.addr).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.method,
            self.target,
            self.addr,
            self.body.len()
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        // the server may answer (and close) before reading a body it rejects
        let _ = stream.write_all(&bytes);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        if answer.is_empty() {
            return None;
        }
        Some(parse(&answer))
    }

    /// Sends and reads the whole answer.
    #[track_caller]
    pub fn send(self) -> Answer {
        let target = self.target.clone();
        self.try_send()
            .unwrap_or_else(|| panic!("no answer to `{target}`"))
    }
}

fn parse(bytes: &[u8]) -> Answer {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("hex chunk size");
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// One part of a multipart answer: its headers and content.
#[derive(Debug)]
pub struct Part {
    pub headers: Vec<(String, String)>,
    pub content: Vec<u8>,
}

impl Part {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `filename` of its `Content-Disposition`.
    pub fn filename(&self) -> String {
        let disposition = self.header("Content-Disposition").expect("disposition");
        disposition
            .split("filename=")
            .nth(1)
            .expect("a filename")
            .trim_matches('"')
            .to_owned()
    }
}

/// Splits a `multipart/*` answer into its parts.
pub fn multipart(answer: &Answer) -> Vec<Part> {
    let content_type = answer.header("content-type").expect("a content type");
    assert!(content_type.starts_with("multipart/"), "{content_type}");
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let text = &answer.body;
    let mut parts = Vec::new();
    let positions: Vec<usize> = text
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        let chunk = &text[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = chunk
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part head");
        let head = String::from_utf8_lossy(&chunk[..split]);
        parts.push(Part {
            headers: head
                .split("\r\n")
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
            content: chunk[split + 4..].to_vec(),
        });
    }
    let last = *positions.last().expect("a closing delimiter");
    assert_eq!(
        &text[last + delimiter.len()..last + delimiter.len() + 2],
        b"--"
    );
    parts
}

/// Uploads CSV text as table `name` and returns its ID.
#[track_caller]
pub fn upload_table(emulator: &Emulator, name: &str, csv: &str) -> String {
    let answer = api(emulator, "POST", &format!("/public/v1/tables/{name}"))
        .header("Content-Type", "text/csv")
        .body(csv)
        .send();
    answer.ok();
    answer.json()["ID"].as_str().expect("an ID").to_owned()
}
