//! Redaction applied by default to everything a debug package writes:
//! container and node log lines, Kubernetes objects, events.
//!
//! A package leaves the customer's site, so secrets must not travel in it;
//! but a package that hides ordinary text is useless to the engineer
//! reading it. The rules therefore aim at *values* next to something that
//! says "this is secret" (a key name, an `Authorization` header, a URL's
//! userinfo, a PEM private key, a JWT), and keep every name, key and
//! surrounding word readable.
//!
//! Redacted:
//! - `secret-data`: every value under a Secret's `data` / `stringData`
//!   (keys kept).
//! - `last-applied-config`: a Secret's
//!   `kubectl.kubernetes.io/last-applied-configuration` annotation, whole.
//!   On other kinds the annotation is parsed and redacted like the object.
//! - `env-value`: the `value` of any `{name, value}` pair whose name looks
//!   sensitive (see `sensitive_name`): container `env` wherever it sits (pods,
//!   every workload template, CRDs), and look-alike parameter lists.
//! - `config-key`: ConfigMap `data` / `binaryData` under a sensitive key.
//! - `key-value`: `key=value`, `key: value`, `"key": "value"`,
//!   `key="value"`, `--key value` where the key ends in password, passwd,
//!   passphrase, pwd, secret, token, api_key/apikey, access_key,
//!   secret_key, private_key, client_secret or credential(s); also object
//!   fields with such names and `args` / `command` flags followed by their
//!   value.
//! - `bearer-token`, `basic-auth`, `auth-header`: the credential after
//!   `Bearer`, `Basic`, or another scheme in an `Authorization:` header
//!   (the scheme word is kept).
//! - `url-credentials`: the password in `scheme://user:password@host`.
//! - `private-key`: the body of a PEM private key (kept: its BEGIN/END lines).
//! - `base64-line`: in [`Redactor::line`] only, a line that is nothing but a
//!   long base64 run (a PEM body logged line by line, which a single line
//!   cannot otherwise tie to its BEGIN line).
//! - `jwt`: anything shaped like a JWT (`eyJ….….…`), wherever it appears.
//!
//! Kept on purpose: the words themselves (`Token bucket refilled`,
//! `password policy updated`, `secret-volume mounted at /etc/secret`);
//! keys that only contain a word (`keyspace=sessions`, `token_count=3`,
//! `secretName: db`); plurals used as counts (`tokens=5`, `max_tokens: 10`);
//! booleans and nulls (`AUTH_ENABLED=true`, `"token": null`); references
//! (`secretKeyRef`, `valueFrom`, toleration and selector `key`s);
//! certificates and public keys.
//!
//! Counts are of values replaced by this redactor; a value already equal to
//! [`MARK`] is not counted again, so redacting twice is harmless.

use std::borrow::Cow;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use regex::{Captures, Regex};
use serde_json::{Map, Value};

/// What replaces a value. Fixed, so the package never reveals a secret's
/// length or shape; angle brackets make it impossible to mistake for a
/// real value and easy to grep. It is not valid base64: a redacted Secret
/// cannot be re-applied or decoded by mistake.
pub const MARK: &str = "<redacted>";

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

#[derive(Debug, Clone, Copy)]
enum Rule {
    SecretData,
    LastApplied,
    EnvValue,
    ConfigKey,
    KeyValue,
    BearerToken,
    BasicAuth,
    AuthHeader,
    UrlCredentials,
    PrivateKey,
    Base64Line,
    Jwt,
}

const RULES: [Rule; 12] = [
    Rule::SecretData,
    Rule::LastApplied,
    Rule::EnvValue,
    Rule::ConfigKey,
    Rule::KeyValue,
    Rule::BearerToken,
    Rule::BasicAuth,
    Rule::AuthHeader,
    Rule::UrlCredentials,
    Rule::PrivateKey,
    Rule::Base64Line,
    Rule::Jwt,
];

impl Rule {
    fn name(self) -> &'static str {
        match self {
            Rule::SecretData => "secret-data",
            Rule::LastApplied => "last-applied-config",
            Rule::EnvValue => "env-value",
            Rule::ConfigKey => "config-key",
            Rule::KeyValue => "key-value",
            Rule::BearerToken => "bearer-token",
            Rule::BasicAuth => "basic-auth",
            Rule::AuthHeader => "auth-header",
            Rule::UrlCredentials => "url-credentials",
            Rule::PrivateKey => "private-key",
            Rule::Base64Line => "base64-line",
            Rule::Jwt => "jwt",
        }
    }
}

/// The key words of the `key-value` rule. A key must *end* with one of
/// them, which is what keeps `keyspace`, `token_count` and `tokens` out.
const KV_WORDS: &str = "password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|client[_-]?secret|credentials?";

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("redaction pattern {pattern:?}: {e}"))
}

/// The cheap gate in front of every free-text rule except URL userinfo
/// (gated on `@` and `://`) and the base64 line: each rule needs one of
/// these words, so a line without any is returned untouched after one scan.
/// Lower case only: [`keywords`] folds the text first, because a
/// case-insensitive pattern expands into too many literals for the SIMD
/// literal search and runs several times slower.
static KEYWORDS: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new("pass|pwd|secret|token|key|credential|bearer|basic|authoriz|eyj")
        .expect("literal alternation")
});

/// Which rules a text can need, from the keywords it holds; a line with
/// `keyspace` in it then pays for the key-value and PEM rules only.
mod need {
    pub const KV: u8 = 1;
    pub const PEM: u8 = 2;
    pub const BEARER: u8 = 4;
    pub const BASIC: u8 = 8;
    pub const AUTH: u8 = 16;
    pub const JWT: u8 = 32;
}

fn keywords(s: &str) -> u8 {
    const CHUNK: usize = 512;
    // Longest keyword ("credential") minus one, so none straddles chunks unseen.
    const OVERLAP: usize = 9;
    let b = s.as_bytes();
    let mut buf = [0u8; CHUNK];
    let mut start = 0;
    let mut found = 0;
    loop {
        let end = (start + CHUNK).min(b.len());
        let part = &mut buf[..end - start];
        part.copy_from_slice(&b[start..end]);
        part.make_ascii_lowercase();
        for m in KEYWORDS.find_iter(part) {
            found |= match m.as_bytes() {
                b"key" => need::KV | need::PEM,
                b"bearer" => need::BEARER,
                b"basic" => need::BASIC,
                b"authoriz" => need::AUTH,
                b"eyj" => need::JWT,
                _ => need::KV,
            };
        }
        if end == b.len() {
            return found;
        }
        start = end - OVERLAP;
    }
}

const PEM_BEGIN: &str = r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----";
const PEM_END: &str = r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----";

static PEM_BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        "(?s)(?P<begin>{PEM_BEGIN})(?P<body>.*?)(?P<end>{PEM_END})"
    ))
});

/// A BEGIN whose END never came (a truncated file): the base64 and header
/// lines that follow it, and no further.
static PEM_TRUNCATED: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?P<begin>{PEM_BEGIN})(?P<body>(?:\r?\n(?:[A-Za-z0-9+/=]+|Proc-Type:[^\r\n]*|DEK-Info:[^\r\n]*)?\r?(?m:$))+)(?P<end>)"
    ))
});

/// A key on one line: real BEGIN/END on one line, a JSON-escaped key with
/// literal `\n`s, or a BEGIN with the rest of the line after it.
static PEM_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"(?P<begin>{PEM_BEGIN})(?P<body>[^\r\n]*?)(?P<end>{PEM_END}|\r?(?m:$))"
    ))
});

static BEARER: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)(?P<word>bearer[ \t]+)(?P<tok>[A-Za-z0-9\-._~+/]+=*)"));

static BASIC: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?-u:\b)(?P<word>basic[ \t]+)(?P<tok>[A-Za-z0-9+/]+={0,2})"));

static AUTH_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?-u:\b)(?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?(?:(?P<scheme>token|apikey|api-key|key|negotiate|ntlm|ssws|splunk|jwt|oauth|sso-key|aws4-hmac-sha256)[ \t]+)?(?P<cred>[^\s"',;]+)"#,
    )
});

/// The password may hold an unencoded `@`: the greedy run backs off to the
/// last `@` before the host, so none of it is left behind.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?P<pre>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@"']*:)(?P<pass>[^\s/?#"']+)@"#)
});

/// `key: value` starting a line (YAML, properties, env files, `export`):
/// the value runs to the end of the line, since unquoted YAML values may
/// hold spaces.
static KV_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?im)^(?P<pre>[ \t]*(?:-[ \t]+)?(?:export[ \t]+)?["']?[A-Za-z0-9_.-]*?(?:{KV_WORDS})["']?[ \t]*[:=][ \t]*)(?P<val>[^\r\n]*)"#
    ))
});

/// `key=value` anywhere. An unquoted value ends at whitespace or a
/// delimiter; it may not start with `:` or `=` so that `Token::parse` and
/// `token == nil` are left alone.
static KV_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?i)(?P<key>(?:\\?["'])?[A-Za-z0-9_.-]*?(?:{KV_WORDS})(?:\\?["'])?)(?P<sep>[ \t]*[:=][ \t]*)(?P<val>"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|\\"(?:[^\\\r\n]|\\[^"\r\n])*\\"|[^\s"',;&<{{\[\\:=][^\s"',;&]*)"#
    ))
});

/// `--db-password value` on a command line.
static KV_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?im)(?P<pre>(?:^|[\s"'=])--?[A-Za-z0-9_.-]*?(?:{KV_WORDS}))(?P<sp>[ \t]+)(?P<val>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"'<-][^\s"']*)"#
    ))
});

static JWT: LazyLock<Regex> =
    LazyLock::new(|| re(r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{2,}){1,4}"));

/// Redacts debug package content. Shared by every gatherer task through
/// `&self`; the counters are atomics so no task waits on another.
#[derive(Debug)]
pub struct Redactor {
    enabled: bool,
    counts: [AtomicU64; RULES.len()],
}

impl Redactor {
    pub fn new(enabled: bool) -> Self {
        Redactor {
            enabled,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// One line of free text (a log line, an event message).
    /// `Cow::Borrowed` when nothing matched, which is nearly always.
    pub fn line<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(s);
        }
        if let Some(r) = self.base64_line(s) {
            return Cow::Owned(r);
        }
        self.free_text(Cow::Borrowed(s))
    }

    /// A whole text file's content, which may hold multi-line PEM keys.
    /// Unlike [`Redactor::line`], a lone base64 line is kept: a file has
    /// its BEGIN/END context, and certificate bodies look the same.
    pub fn text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if !self.enabled {
            return Cow::Borrowed(s);
        }
        self.text_inner(Cow::Borrowed(s))
    }

    /// A Kubernetes object as JSON (a single object, an item of a list
    /// without `kind`, or a whole `…List`), redacted in place.
    pub fn object(&self, v: &mut Value) {
        if self.enabled {
            self.resource(v, None);
        }
    }

    /// (rule name, count) for every rule that fired, sorted by name.
    pub fn counts(&self) -> Vec<(String, u64)> {
        let mut out: Vec<(String, u64)> = RULES
            .iter()
            .zip(&self.counts)
            .map(|(r, c)| (r.name().to_string(), c.load(Ordering::Relaxed)))
            .filter(|(_, n)| *n > 0)
            .collect();
        out.sort();
        out
    }

    fn bump(&self, r: Rule) {
        self.counts[r as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn text_inner<'a>(&self, s: Cow<'a, str>) -> Cow<'a, str> {
        let mut s = s;
        // PEM labels are upper case by RFC 7468, so a plain search is exact.
        if s.contains("PRIVATE KEY") {
            s = rewrite(s, &PEM_BLOCK, |c, _, out| self.pem_body(c, out));
            s = rewrite(s, &PEM_TRUNCATED, |c, _, out| self.pem_body(c, out));
        }
        self.free_text(s)
    }

    fn free_text<'a>(&self, s: Cow<'a, str>) -> Cow<'a, str> {
        let url = s.contains('@') && s.contains("://");
        let wants = keywords(&s);
        if !url && wants == 0 {
            return s;
        }
        let mut s = s;
        // Order matters only for which rule gets the count: each rule
        // leaves MARK behind, which the later ones skip.
        if wants & need::PEM != 0 {
            s = rewrite(s, &PEM_LINE, |c, _, out| self.pem_body(c, out));
        }
        if wants & need::BEARER != 0 {
            s = rewrite(s, &BEARER, |c, text, out| {
                let tok = &c["tok"];
                let digits = tok.bytes().any(|b| b.is_ascii_digit());
                let plausible = tok.len() >= 16 || (tok.len() >= 8 && digits);
                if !plausible && !after_authorization(text, whole(c).start()) {
                    return false;
                }
                out.push_str(&c["word"]);
                out.push_str(MARK);
                self.bump(Rule::BearerToken);
                true
            });
        }
        if wants & need::BASIC != 0 {
            s = rewrite(s, &BASIC, |c, text, out| {
                let tok = &c["tok"];
                if !after_authorization(text, whole(c).start()) && !is_user_pass_base64(tok) {
                    return false;
                }
                out.push_str(&c["word"]);
                out.push_str(MARK);
                self.bump(Rule::BasicAuth);
                true
            });
        }
        if wants & need::AUTH != 0 {
            s = rewrite(s, &AUTH_HEADER, |c, text, out| {
                let cred = c.name("cred").expect("cred is not optional");
                if trivial(cred.as_str()) || (c.name("scheme").is_none() && cred.len() < 16) {
                    return false;
                }
                out.push_str(&text[whole(c).start()..cred.start()]);
                out.push_str(MARK);
                self.bump(Rule::AuthHeader);
                true
            });
        }
        if url {
            s = rewrite(s, &URL_CREDENTIALS, |c, _, out| {
                if &c["pass"] == MARK {
                    return false;
                }
                out.push_str(&c["pre"]);
                out.push_str(MARK);
                out.push('@');
                self.bump(Rule::UrlCredentials);
                true
            });
        }
        if wants & need::KV != 0 {
            s = rewrite(s, &KV_LINE, |c, _, out| {
                let val = &c["val"];
                let val_end = val.trim_end();
                if val_end
                    .starts_with(['"', '\'', '{', '[', '|', '>', '&', '*', '!', '<', '#', '\\'])
                {
                    // Quoted and structured values are the inline rule's.
                    return false;
                }
                let comment = val_end.find(" #").or_else(|| val_end.find("\t#"));
                let core = val_end[..comment.unwrap_or(val_end.len())].trim_end();
                // `password=a user=b` is a logfmt line, not a YAML value
                // with spaces: the inline rule takes it pair by pair.
                let more_pairs = core
                    .split_whitespace()
                    .skip(1)
                    .any(|t| t.contains('=') || t.ends_with(':'));
                if trivial(core) || more_pairs {
                    return false;
                }
                out.push_str(&c["pre"]);
                out.push_str(MARK);
                out.push_str(&val[core.len()..]);
                self.bump(Rule::KeyValue);
                true
            });
            s = rewrite(s, &KV_INLINE, |c, _, out| {
                let (open, inner, close) = unquote(&c["val"]);
                let (inner, rest) = if open.is_empty() {
                    split_unbalanced_closers(inner)
                } else {
                    (inner, "")
                };
                if trivial(inner) {
                    return false;
                }
                out.push_str(&c["key"]);
                out.push_str(&c["sep"]);
                out.push_str(open);
                out.push_str(MARK);
                out.push_str(close);
                out.push_str(rest);
                self.bump(Rule::KeyValue);
                true
            });
            s = rewrite(s, &KV_FLAG, |c, _, out| {
                let (open, inner, close) = unquote(&c["val"]);
                if trivial(inner) {
                    return false;
                }
                out.push_str(&c["pre"]);
                out.push_str(&c["sp"]);
                out.push_str(open);
                out.push_str(MARK);
                out.push_str(close);
                self.bump(Rule::KeyValue);
                true
            });
        }
        if wants & need::JWT != 0 {
            s = rewrite(s, &JWT, |_, _, out| {
                out.push_str(MARK);
                self.bump(Rule::Jwt);
                true
            });
        }
        s
    }

    /// Keeps the BEGIN/END lines and the separators around the body (real
    /// newlines in a file, literal `\n` in a JSON-escaped log line) so the
    /// output keeps its shape.
    fn pem_body(&self, c: &Captures<'_>, out: &mut String) -> bool {
        let body = &c["body"];
        let lead = lead_separator(body);
        let trail = trail_separator(&body[lead..]);
        let core = &body[lead..body.len() - trail];
        if core.is_empty() || core == MARK {
            return false;
        }
        out.push_str(&c["begin"]);
        out.push_str(&body[..lead]);
        out.push_str(MARK);
        out.push_str(&body[body.len() - trail..]);
        out.push_str(&c["end"]);
        self.bump(Rule::PrivateKey);
        true
    }

    /// A line that is only a long base64 run, after at most a timestamp.
    /// Needs upper case, lower case and a digit, which hex digests, words
    /// and numbers never all have.
    fn base64_line(&self, s: &str) -> Option<String> {
        let body = s.trim_end();
        let start = body.rfind([' ', '\t']).map_or(0, |i| i + 1);
        let tail = &body[start..];
        if tail.len() < 40 {
            return None;
        }
        let head = &body[..start];
        if !head
            .bytes()
            .all(|b| b.is_ascii_digit() || b" \t-:.,/+TZ".contains(&b))
        {
            return None;
        }
        let core = tail.trim_end_matches('=');
        if tail.len() - core.len() > 2 {
            return None;
        }
        let (mut upper, mut lower, mut digit) = (false, false, false);
        for b in core.bytes() {
            match b {
                b'A'..=b'Z' => upper = true,
                b'a'..=b'z' => lower = true,
                b'0'..=b'9' => digit = true,
                b'+' | b'/' => {}
                _ => return None,
            }
        }
        if !(upper && lower && digit) {
            return None;
        }
        self.bump(Rule::Base64Line);
        Some(format!("{head}{MARK}{}", &s[body.len()..]))
    }

    /// A whole object: the root, a list item (whose `kind` the list
    /// dropped; `hint` says it), or a parsed last-applied annotation.
    fn resource(&self, v: &mut Value, hint: Option<&str>) -> bool {
        match v {
            Value::Object(m) => self.map(m, hint, true),
            other => self.value(other),
        }
    }

    fn value(&self, v: &mut Value) -> bool {
        match v {
            Value::Object(m) => self.map(m, None, false),
            Value::Array(a) => a.iter_mut().fold(false, |ch, x| self.value(x) | ch),
            Value::String(s) => self.string(s),
            _ => false,
        }
    }

    fn string(&self, s: &mut String) -> bool {
        match self.text_inner(Cow::Borrowed(s.as_str())) {
            Cow::Borrowed(_) => false,
            Cow::Owned(o) => {
                *s = o;
                true
            }
        }
    }

    fn map(&self, m: &mut Map<String, Value>, hint: Option<&str>, top: bool) -> bool {
        let shape = Shape::of(m, hint, top);
        let mut changed = false;
        // `env` entries, and any list of the same shape (parameters of
        // workflow and operator CRDs): the name says what the value is.
        let named_secret = m
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(sensitive_name);
        if named_secret
            && let Some(Value::String(v)) = m.get_mut("value")
            && !trivial(v)
        {
            *v = MARK.to_string();
            self.bump(Rule::EnvValue);
            changed = true;
        }
        for (k, v) in m.iter_mut() {
            changed |= match (&shape, k.as_str()) {
                (Shape::Secret, "data" | "stringData") => self.secret_values(v),
                (Shape::ConfigMap, "data") => self.config_values(v, false),
                (Shape::ConfigMap, "binaryData") => self.config_values(v, true),
                (Shape::List(item), "items") => match v {
                    Value::Array(items) => items
                        .iter_mut()
                        .fold(false, |ch, x| self.resource(x, item.as_deref()) | ch),
                    other => self.value(other),
                },
                (_, "metadata") => self.metadata(v, matches!(shape, Shape::Secret)),
                (_, "args" | "command") => self.arguments(v),
                _ => self.field(k, v),
            };
        }
        changed
    }

    /// Object fields named like a secret (`password`, `clientSecret`,
    /// `bearerToken`, an annotation `example.com/api-token`) hold one.
    fn field(&self, name: &str, v: &mut Value) -> bool {
        match v {
            Value::String(s) if sensitive_key(name) => {
                if trivial(s) {
                    return false;
                }
                *s = MARK.to_string();
                self.bump(Rule::KeyValue);
                true
            }
            other => self.value(other),
        }
    }

    fn metadata(&self, v: &mut Value, secret: bool) -> bool {
        let Value::Object(m) = v else {
            return self.value(v);
        };
        let mut changed = false;
        for (k, v) in m.iter_mut() {
            changed |= match (k.as_str(), v) {
                ("annotations", Value::Object(a)) => {
                    let mut ch = false;
                    for (ak, av) in a.iter_mut() {
                        ch |= if ak == LAST_APPLIED {
                            self.last_applied(av, secret)
                        } else {
                            self.field(ak, av)
                        };
                    }
                    ch
                }
                (k, v) => self.field(k, v),
            };
        }
        changed
    }

    /// kubectl keeps the whole applied object in this annotation, values
    /// included. A Secret's is dropped whole; any other is redacted as the
    /// object it is, so the engineer still sees what was applied.
    fn last_applied(&self, v: &mut Value, secret: bool) -> bool {
        let Value::String(s) = v else {
            return self.value(v);
        };
        if s.is_empty() || s == MARK {
            return false;
        }
        if secret {
            *s = MARK.to_string();
            self.bump(Rule::LastApplied);
            return true;
        }
        match serde_json::from_str::<Value>(s) {
            Ok(mut parsed) => {
                if !self.resource(&mut parsed, None) {
                    return false;
                }
                let newline = s.ends_with('\n');
                *s = serde_json::to_string(&parsed).unwrap_or_else(|_| MARK.to_string());
                if newline {
                    s.push('\n');
                }
                true
            }
            Err(_) => self.string(s),
        }
    }

    fn secret_values(&self, v: &mut Value) -> bool {
        let Value::Object(m) = v else {
            return false;
        };
        let mut changed = false;
        for val in m.values_mut() {
            if val.is_null() || val.as_str() == Some(MARK) {
                continue;
            }
            *val = Value::String(MARK.to_string());
            self.bump(Rule::SecretData);
            changed = true;
        }
        changed
    }

    fn config_values(&self, v: &mut Value, binary: bool) -> bool {
        let Value::Object(m) = v else {
            return self.value(v);
        };
        let mut changed = false;
        for (k, val) in m.iter_mut() {
            if let Value::String(s) = val
                && sensitive_name(k)
                && !trivial(s)
            {
                *s = MARK.to_string();
                self.bump(Rule::ConfigKey);
                changed = true;
                continue;
            }
            // Binary values are base64: no text rule can read them.
            if !binary {
                changed |= self.value(val);
            }
        }
        changed
    }

    /// `args: ["--db-password", "x"]`: the flag and its value are separate
    /// elements, so the text rules never see them together.
    fn arguments(&self, v: &mut Value) -> bool {
        let Value::Array(a) = v else {
            return self.value(v);
        };
        let mut changed = false;
        let mut after_flag = false;
        for x in a.iter_mut() {
            let Value::String(s) = x else {
                after_flag = false;
                changed |= self.value(x);
                continue;
            };
            if after_flag && !s.starts_with('-') && !trivial(s) {
                *s = MARK.to_string();
                self.bump(Rule::KeyValue);
                changed = true;
                after_flag = false;
                continue;
            }
            after_flag = is_sensitive_flag(s);
            changed |= self.string(s);
        }
        changed
    }
}

enum Shape {
    Secret,
    ConfigMap,
    /// A `…List`, with the kind its items lost.
    List(Option<String>),
    Other,
}

impl Shape {
    /// Kind-less guesses are made only for whole objects (the root, list
    /// items): a nested `{type, data}` is some CRD's field, not a Secret.
    fn of(m: &Map<String, Value>, hint: Option<&str>, top: bool) -> Shape {
        let kind = m.get("kind").and_then(Value::as_str).or(hint);
        let has_map = |k: &str| m.get(k).is_some_and(Value::is_object);
        match kind {
            Some("Secret") => Shape::Secret,
            Some("ConfigMap") => Shape::ConfigMap,
            Some(k) if k.ends_with("List") && m.get("items").is_some_and(Value::is_array) => {
                let item = &k[..k.len() - "List".len()];
                Shape::List((!item.is_empty()).then(|| item.to_string()))
            }
            Some(_) => Shape::Other,
            None if !top => Shape::Other,
            None if m.get("type").is_some_and(Value::is_string)
                && (has_map("data") || has_map("stringData")) =>
            {
                Shape::Secret
            }
            None if !m.contains_key("type")
                && !m.contains_key("spec")
                && (has_map("data") || has_map("binaryData")) =>
            {
                Shape::ConfigMap
            }
            None => Shape::Other,
        }
    }
}

/// Replaces matches of `re` in `s` through `f`, which appends the
/// replacement of the whole match to `out` and returns true, or returns
/// false to keep the match. Allocates only when something changed, so the
/// common no-change path hands back the caller's borrow.
fn rewrite<'a>(
    s: Cow<'a, str>,
    re: &Regex,
    mut f: impl FnMut(&Captures<'_>, &str, &mut String) -> bool,
) -> Cow<'a, str> {
    let replaced = {
        let text: &str = &s;
        let mut out = String::new();
        let mut last = 0;
        let mut changed = false;
        for c in re.captures_iter(text) {
            let m = whole(&c);
            out.push_str(&text[last..m.start()]);
            let before = out.len();
            if f(&c, text, &mut out) {
                changed = true;
            } else {
                out.truncate(before);
                out.push_str(m.as_str());
            }
            last = m.end();
        }
        changed.then(|| {
            out.push_str(&text[last..]);
            out
        })
    };
    match replaced {
        Some(o) => Cow::Owned(o),
        None => s,
    }
}

fn whole<'h>(c: &Captures<'h>) -> regex::Match<'h> {
    c.get(0).expect("group 0 is the whole match")
}

/// A value that hides nothing: empty, boolean, null, already masked.
/// Keeping these keeps `AUTH_ENABLED=true` and `"token": null` readable.
fn trivial(v: &str) -> bool {
    let v = v.trim();
    v.is_empty()
        || v.contains(MARK)
        || v.bytes().all(|b| b == b'*')
        || ["true", "false", "yes", "no", "null", "nil", "none", "~"]
            .iter()
            .any(|w| v.eq_ignore_ascii_case(w))
}

/// `"v"`, `'v'`, `\"v\"` → (open, v, close); anything else is unquoted.
fn unquote(v: &str) -> (&str, &str, &str) {
    for q in ["\\\"", "\"", "'"] {
        if v.len() >= 2 * q.len() && v.starts_with(q) && v.ends_with(q) {
            return (q, &v[q.len()..v.len() - q.len()], q);
        }
    }
    ("", v, "")
}

/// `map[password:x]`, `(token=x)`: the closing brackets belong to the
/// surrounding text, not the value, unless the value opened them.
fn split_unbalanced_closers(v: &str) -> (&str, &str) {
    let mut end = v.len();
    while end > 0 {
        let (open, close) = match v.as_bytes()[end - 1] {
            b')' => (b'(', b')'),
            b']' => (b'[', b']'),
            b'}' => (b'{', b'}'),
            _ => break,
        };
        let part = &v.as_bytes()[..end];
        let opens = part.iter().filter(|&&b| b == open).count();
        let closes = part.iter().filter(|&&b| b == close).count();
        if closes <= opens {
            break;
        }
        end -= 1;
    }
    (&v[..end], &v[end..])
}

/// Whether the text just before `at` is an `Authorization:` header name,
/// where any credential is one whatever it looks like.
fn after_authorization(text: &str, at: usize) -> bool {
    let before = text[..at]
        .trim_end_matches(|c: char| c.is_ascii_whitespace() || matches!(c, ':' | '=' | '"' | '\''));
    const H: &str = "authorization";
    before.len() >= H.len()
        && before.is_char_boundary(before.len() - H.len())
        && before[before.len() - H.len()..].eq_ignore_ascii_case(H)
}

/// `Basic dXNlcjpwYXNz` outside a header is only taken for credentials if
/// it decodes to printable `user:pass`; `Basic authentication` does not.
fn is_user_pass_base64(s: &str) -> bool {
    if s.len() < 4 || !s.len().is_multiple_of(4) {
        return false;
    }
    let mut bytes = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return false,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    bytes.contains(&b':') && bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
}

/// Whitespace and literal `\n` / `\r` escapes at the start of a PEM body.
fn lead_separator(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        if i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        } else if b[i..].starts_with(b"\\n") || b[i..].starts_with(b"\\r") {
            i += 2;
        } else {
            return i;
        }
    }
}

fn trail_separator(s: &str) -> usize {
    let b = s.as_bytes();
    let mut n = 0;
    loop {
        let rest = &b[..b.len() - n];
        if rest.last().is_some_and(u8::is_ascii_whitespace) {
            n += 1;
        } else if rest.ends_with(b"\\n") || rest.ends_with(b"\\r") {
            n += 2;
        } else {
            return n;
        }
    }
}

/// `--db-password` / `-password` with its value in the next argument.
fn is_sensitive_flag(s: &str) -> bool {
    let name = s.trim_start_matches('-');
    s.starts_with('-') && !name.is_empty() && !name.contains(['=', ' ']) && sensitive_key(name)
}

/// The key test of the `key-value` rule, for object field names and flags:
/// the name ends with a secret word. Deliberately narrow, because object
/// fields named plain `key` (tolerations, selectors, `secretKeyRef`) hold
/// names, not secrets.
fn sensitive_key(name: &str) -> bool {
    let flat: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    // The shell's working directory, not a password.
    if name == "PWD" || name == "OLDPWD" {
        return false;
    }
    [
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "token",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "clientsecret",
        "credential",
        "credentials",
    ]
    .iter()
    .any(|w| flat.ends_with(w))
}

/// Whether an env var or ConfigMap key names a secret. Broader than
/// [`sensitive_key`], since these names are written by people to say what
/// the value is:
/// - secret words anywhere in the name, separators or not: password,
///   passwd, passphrase, secret, token, credential, apikey, authkey,
///   privatekey, accesskey (`DBPASSWORD`, `mysqlRootPassword`);
/// - whole words pwd, pw, pass, auth, authorization, creds, cred
///   (`DB_PW`, `BASIC_AUTH`; not `PASSENGER`, `AUTHOR`, `PWD`);
/// - `key` only as the last word or before a word naming key material
///   (`API_KEY`, `signingKey`, `tls.key`, `SSH_KEY_PEM`): `KEYSPACE`,
///   `KEY_ID`, `KEY_PREFIX`, `MONKEY` are not secrets;
/// - `private` alone is not (`PRIVATE_REGISTRY`, `PRIVATE_IP`);
///   `PRIVATE_KEY` is caught by `key`.
///
/// A name whose last word says the value is about a secret rather than
/// the secret itself (`DB_PASSWORD_FILE`, `SECRET_NAME`, `TOKEN_TTL`,
/// `AUTH_URL`, `AUTH_ENABLED`) is not sensitive; free-text rules still
/// see its value.
fn sensitive_name(name: &str) -> bool {
    const ABOUT: &[&str] = &[
        "file",
        "files",
        "path",
        "dir",
        "directory",
        "mount",
        "name",
        "names",
        "id",
        "ids",
        "ref",
        "url",
        "uri",
        "endpoint",
        "host",
        "hostname",
        "server",
        "addr",
        "address",
        "port",
        "user",
        "username",
        "email",
        "ttl",
        "timeout",
        "expiry",
        "expiration",
        "expires",
        "interval",
        "enabled",
        "enable",
        "disabled",
        "required",
        "mode",
        "type",
        "kind",
        "size",
        "length",
        "len",
        "format",
        "algorithm",
        "alg",
        "version",
        "rotation",
        "count",
        "limit",
        "namespace",
        "header",
        "policy",
        "provider",
        "issuer",
        "audience",
        "scope",
        "scopes",
        "realm",
        "method",
    ];
    const ANYWHERE: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "credential",
        "apikey",
        "authkey",
        "privatekey",
        "accesskey",
    ];
    const WORDS: &[&str] = &[
        "pwd",
        "pw",
        "pass",
        "auth",
        "authorization",
        "creds",
        "cred",
    ];
    const MATERIAL: &[&str] = &[
        "pem", "der", "b64", "base64", "data", "value", "content", "hex", "bytes", "jwk",
    ];
    if name == "PWD" || name == "OLDPWD" {
        return false;
    }
    let w = words(name);
    let Some(last) = w.last() else {
        return false;
    };
    if ABOUT.contains(&last.as_str()) {
        return false;
    }
    let flat = w.concat();
    if ANYWHERE.iter().any(|k| flat.contains(k)) {
        return true;
    }
    w.iter().enumerate().any(|(i, word)| {
        WORDS.contains(&word.as_str())
            || (matches!(word.as_str(), "key" | "keys")
                && w.get(i + 1)
                    .is_none_or(|next| MATERIAL.contains(&next.as_str())))
    })
}

/// `DBPassword_file` → `db`, `password`, `file`: splits on anything not
/// alphanumeric and at camel-case boundaries, lower-cased.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let b = part.as_bytes();
        let mut start = 0;
        for i in 1..b.len() {
            let (p, c) = (b[i - 1], b[i]);
            let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
            let camel = (p.is_ascii_lowercase() || p.is_ascii_digit()) && c.is_ascii_uppercase();
            let acronym_end = p.is_ascii_uppercase() && c.is_ascii_uppercase() && next_lower;
            if camel || acronym_end {
                out.push(part[start..i].to_ascii_lowercase());
                start = i;
            }
        }
        if start < b.len() {
            out.push(part[start..].to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c21mLXNlcnZpY2U.Zk3xq9Vd8pL2wR7nF4mTa";
    const PASSWORD: &str = "Smf-Db-S3cr3t-2026";
    const PASSWORD_B64: &str = "U21mLURiLVMzY3IzdC0yMDI2";
    const BEARER_LINE: &str = "2026/04/01 10:00:00.000 smf-service [DEBUG] [RestClient.go:96] [infra.rest_client.core] Sending request to nrf-client: GET /nnrf-disc/v1/nf-instances headers: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c21mLXNlcnZpY2U.Zk3xq9Vd8pL2wR7nF4mTa seq=17";
    const DB_URL_LINE: &str = "2026/04/01 10:00:00.000 smf-service [INFO] [DbConnector.go:58] [infra.db.core] Opening session store, db url postgres://smf:Smf-Db-S3cr3t-2026@db.smf-data.svc:5432/smf seq=42";
    const RSA_BODY: &str = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\nLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo\n9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvre";

    fn on() -> Redactor {
        Redactor::new(true)
    }

    fn counts(r: &Redactor) -> Vec<(&'static str, u64)> {
        r.counts()
            .into_iter()
            .map(|(n, c)| {
                let n = RULES.iter().map(|r| r.name()).find(|r| *r == n).unwrap();
                (n, c)
            })
            .collect()
    }

    fn dump(v: &Value) -> String {
        serde_json::to_string(v).unwrap()
    }

    fn assert_gone(out: &str) {
        for planted in [
            TOKEN,
            PASSWORD,
            PASSWORD_B64,
            "Zk3xq9Vd8pL2wR7nF4mTa",
            "c21mLXNlcnZpY2U",
        ] {
            assert!(!out.contains(planted), "{planted} left in {out}");
        }
    }

    #[test]
    fn planted_log_lines_lose_their_secrets_and_keep_the_rest() {
        let r = on();
        assert_eq!(
            r.line(BEARER_LINE),
            BEARER_LINE.replace(TOKEN, MARK),
            "only the token goes; `Bearer` stays"
        );
        assert_eq!(
            r.line(DB_URL_LINE),
            DB_URL_LINE.replace(PASSWORD, MARK),
            "only the password goes; user and host stay"
        );
        assert_eq!(counts(&r), [("bearer-token", 1), ("url-credentials", 1)]);
    }

    #[test]
    fn ordinary_lines_are_borrowed_unchanged() {
        let r = on();
        for l in [
            "2026/04/01 10:00:00.000 smf-service [DEBUG] [RestRouter.go:24] [infra.rest_server.core] Rest message received from 192.168.41.7:30123 uri=/ping seq=4",
            "Token bucket refilled: 20 tokens available",
            "keyspace=sessions replication_factor=3",
            "secret-volume mounted at /etc/secret",
            "rate limiter: tokens=5 burst=10 token_count=3 max_tokens: 10",
            "password policy updated for realm smf",
            "Secret smf-data/smf-db-credentials synced",
            r#"MountVolume.SetUp failed for volume "db-creds" : secret "smf-db-credentials" not found"#,
            "Error: couldn't find key password in Secret smf-data/smf-db-credentials",
            "Bearer token expired, refreshing",
            r#"WWW-Authenticate: Bearer realm="kubernetes", error="invalid_token""#,
            "Basic authentication enabled for /metrics",
            "Authorization failed for user admin",
            "Authorization: denied for user admin",
            "access_key_id=AKIAIOSFODNN7EXAMPLE region=eu-west-1",
            "Connecting to http://db.smf-data.svc:5432/smf as smf@db",
            "cloning ssh://git@github.com/org/repo.git",
            "thread 'main' panicked at src/token.rs:12: Token::parse failed, token == nil",
            "KeyError: 'session' in cache lookup; primary key violation on sessions",
            r#"{"level":"info","ts":"2026-04-01T10:00:00.000000Z","caller":"mvcc/index.go:214","msg":"compact tree index","revision":7}"#,
            r#"{"secretName":"tls-cert","tokenFile":"/var/run/secrets/token","authEnabled":true}"#,
            r#"AUTH_ENABLED=true token: null "password": "" api_key=<redacted> secret=****"#,
            "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "-----BEGIN CERTIFICATE-----",
            "-----BEGIN RSA PRIVATE KEY-----",
            "2026-04-01 10:00:00,123 [myid:1] - INFO  [NIOWorkerThread-2:NIOServerCnxn@1056] - Closed socket connection for client /192.168.90.5:40001 which had sessionid 0x3f2a",
            "",
        ] {
            let out = r.line(l);
            assert!(matches!(out, Cow::Borrowed(_)), "changed: {l:?} -> {out:?}");
        }
        assert!(r.counts().is_empty(), "{:?}", r.counts());
    }

    #[test]
    fn free_text_rules() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "curl -H 'Authorization: Basic dXNlcjpwYXNz' http://x",
                "curl -H 'Authorization: Basic <redacted>' http://x",
                "basic-auth",
            ),
            (
                "proxy sent basic dXNlcjpwYXNz",
                "proxy sent basic <redacted>",
                "basic-auth",
            ),
            (
                "authorization: bearer abc",
                "authorization: bearer <redacted>",
                "bearer-token",
            ),
            (
                "using bearer 4f9c2a1b7e for calls",
                "using bearer <redacted> for calls",
                "bearer-token",
            ),
            (
                "Authorization: Token 0123abcd",
                "Authorization: Token <redacted>",
                "auth-header",
            ),
            (
                r#"{"authorization":"k8s-aW52YWxpZC10b2tlbg9xyz"}"#,
                r#"{"authorization":"<redacted>"}"#,
                "auth-header",
            ),
            (
                "redis://:s3cret@redis:6379/0",
                "redis://:<redacted>@redis:6379/0",
                "url-credentials",
            ),
            (
                "amqp://guest:p@ss@rabbit:5672/ is up",
                "amqp://guest:<redacted>@rabbit:5672/ is up",
                "url-credentials",
            ),
            (
                "login password=hunter2 user=bob",
                "login password=<redacted> user=bob",
                "key-value",
            ),
            (
                r#"{"password":"hunter2","user":"bob"}"#,
                r#"{"password":"<redacted>","user":"bob"}"#,
                "key-value",
            ),
            (
                r#"cfg db_password: "hunter 2" ok"#,
                r#"cfg db_password: "<redacted>" ok"#,
                "key-value",
            ),
            (
                "client_secret='abc' next",
                "client_secret='<redacted>' next",
                "key-value",
            ),
            (
                "GET /cb?code=1&access_token=abc123&state=x",
                "GET /cb?code=1&access_token=<redacted>&state=x",
                "key-value",
            ),
            (
                "config map[password:hunter2]",
                "config map[password:<redacted>]",
                "key-value",
            ),
            (
                "conf {Password:hunter2 User:bob}",
                "conf {Password:<redacted> User:bob}",
                "key-value",
            ),
            (
                "Launching: /opt/app --db-password hunter2 --port 80",
                "Launching: /opt/app --db-password <redacted> --port 80",
                "key-value",
            ),
            (
                r#"msg="{\"token\":\"abc\"}""#,
                r#"msg="{\"token\":\"<redacted>\"}""#,
                "key-value",
            ),
            (
                "hdr X-Api-Key: 12345abcde",
                "hdr X-Api-Key: <redacted>",
                "key-value",
            ),
            (
                "JAVA_OPTS -Djavax.net.ssl.keyStorePassword=changeit -Xmx1g",
                "JAVA_OPTS -Djavax.net.ssl.keyStorePassword=<redacted> -Xmx1g",
                "key-value",
            ),
            (
                "  password: abc def # old",
                "  password: <redacted> # old",
                "key-value",
            ),
            (
                "export GITHUB_TOKEN=ghp_abc",
                "export GITHUB_TOKEN=<redacted>",
                "key-value",
            ),
            (
                "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG",
                "AWS_SECRET_ACCESS_KEY=<redacted>",
                "key-value",
            ),
            (
                "session eyJhbGciOiJIUzI1NiJ9.c21mLXNlcnZpY2U.Zk3xq9Vd8pL2wR7nF4mTa issued",
                "session <redacted> issued",
                "jwt",
            ),
            (
                "k=-----BEGIN RSA PRIVATE KEY-----MIIEabc-----END RSA PRIVATE KEY----- done",
                "k=-----BEGIN RSA PRIVATE KEY-----<redacted>-----END RSA PRIVATE KEY----- done",
                "private-key",
            ),
            (
                r#"{"tls.key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----\n"}"#,
                r#"{"tls.key":"-----BEGIN PRIVATE KEY-----\n<redacted>\n-----END PRIVATE KEY-----\n"}"#,
                "private-key",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
                "-----BEGIN OPENSSH PRIVATE KEY-----<redacted>",
                "private-key",
            ),
            (
                "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
                "<redacted>",
                "base64-line",
            ),
            (
                "2026-04-01T10:00:00.000Z   MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJT==\r\n",
                "2026-04-01T10:00:00.000Z   <redacted>\r\n",
                "base64-line",
            ),
        ];
        for (input, want, rule) in cases {
            let r = on();
            let got = r.line(input);
            assert_eq!(got, *want, "input {input:?}");
            assert_eq!(counts(&r), [(*rule, 1)], "input {input:?}");
            // Idempotent: redacting the output again finds nothing.
            assert!(matches!(r.line(&got), Cow::Borrowed(_)), "{got:?}");
            assert_eq!(
                counts(&r),
                [(*rule, 1)],
                "second pass counted for {input:?}"
            );
        }
    }

    #[test]
    fn secret_values_vanish_and_keys_stay() {
        let r = on();
        let applied = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "smf-db-credentials", "namespace": "smf-data"},
            "data": {"password": PASSWORD_B64}});
        let mut v = json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "smf-db-credentials", "namespace": "smf-data",
                "labels": {"app": "smf"},
                "annotations": {
                    LAST_APPLIED: format!("{}\n", dump(&applied)),
                    "owner": "team-smf"}},
            "data": {"password": PASSWORD_B64, "username": "c21m"},
            "stringData": {"dsn": format!("postgres://smf:{PASSWORD}@db/smf")},
        });
        r.object(&mut v);
        assert_gone(&dump(&v));
        assert_eq!(v["data"], json!({"password": MARK, "username": MARK}));
        assert_eq!(v["stringData"], json!({"dsn": MARK}));
        assert_eq!(v["metadata"]["annotations"][LAST_APPLIED], MARK);
        assert_eq!(v["metadata"]["annotations"]["owner"], "team-smf");
        assert_eq!(v["metadata"]["name"], "smf-db-credentials");
        assert_eq!(v["type"], "Opaque");
        assert_eq!(counts(&r), [("last-applied-config", 1), ("secret-data", 3)]);
        // Again: nothing left to count.
        r.object(&mut v);
        assert_eq!(counts(&r), [("last-applied-config", 1), ("secret-data", 3)]);
    }

    #[test]
    fn secrets_without_kind_as_list_items_and_alone() {
        let r = on();
        let mut list = json!({"apiVersion": "v1", "kind": "SecretList", "metadata": {},
        "items": [
            {"metadata": {"name": "a"}, "type": "Opaque", "data": {"password": PASSWORD_B64}},
            {"metadata": {"name": "b"}, "type": "kubernetes.io/tls",
             "data": {"tls.crt": "Y2VydA==", "tls.key": "a2V5"}},
        ]});
        r.object(&mut list);
        assert_gone(&dump(&list));
        assert_eq!(
            list["items"][1]["data"],
            json!({"tls.crt": MARK, "tls.key": MARK})
        );
        let mut alone =
            json!({"metadata": {"name": "c"}, "type": "Opaque", "data": {"x": PASSWORD_B64}});
        r.object(&mut alone);
        assert_eq!(alone["data"]["x"], MARK);
        assert_eq!(counts(&r), [("secret-data", 4)]);
    }

    fn container(name: &str) -> Value {
        json!({
            "name": name, "image": "registry.local/smf/rest-ep:1.2.3",
            "command": ["sh", "-c", format!("exec /opt/app --password={PASSWORD}")],
            "args": ["--db-password", PASSWORD, "--log-level", "debug", "--token", "--verbose"],
            "env": [
                {"name": "DB_PASSWORD", "value": PASSWORD},
                {"name": "LOG_LEVEL", "value": "debug"},
                {"name": "DB_USER", "value": "smf"},
                {"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db/password"},
                {"name": "AUTH_ENABLED", "value": "true"},
                {"name": "CASSANDRA_KEYSPACE", "value": "sessions"},
                {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "smf-db-credentials", "key": "password"}}},
            ],
        })
    }

    fn assert_container(c: &Value) {
        assert_eq!(c["env"][0], json!({"name": "DB_PASSWORD", "value": MARK}));
        for (i, want) in [
            (1, "debug"),
            (2, "smf"),
            (3, "/run/secrets/db/password"),
            (4, "true"),
            (5, "sessions"),
        ] {
            assert_eq!(c["env"][i]["value"], want);
        }
        assert_eq!(c["env"][6]["valueFrom"]["secretKeyRef"]["key"], "password");
        assert_eq!(
            c["args"],
            json!([
                "--db-password",
                MARK,
                "--log-level",
                "debug",
                "--token",
                "--verbose"
            ])
        );
        assert_eq!(c["command"][2], format!("exec /opt/app --password={MARK}"));
        assert_eq!(c["image"], "registry.local/smf/rest-ep:1.2.3");
    }

    #[test]
    fn pod_env_args_and_command() {
        let r = on();
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "smf-rest-ep-n0-0", "namespace": "smf-data"},
        "spec": {
            "containers": [container("smf-rest-ep")],
            "initContainers": [container("init")],
            "ephemeralContainers": [container("debugger")],
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists"}],
            "volumes": [{"name": "db", "secret": {"secretName": "smf-db-credentials"}}],
        }});
        r.object(&mut pod);
        assert_gone(&dump(&pod));
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            assert_container(&pod["spec"][list][0]);
        }
        assert_eq!(
            pod["spec"]["tolerations"][0]["key"],
            "node.kubernetes.io/not-ready"
        );
        assert_eq!(
            pod["spec"]["volumes"][0]["secret"]["secretName"],
            "smf-db-credentials"
        );
        assert_eq!(counts(&r), [("env-value", 3), ("key-value", 6)]);
    }

    #[test]
    fn deployment_template_and_its_last_applied_annotation() {
        let r = on();
        let spec = json!({"replicas": 2, "template": {
            "metadata": {"labels": {"app": "smf"}},
            "spec": {"containers": [container("smf-rest-ep")]}}});
        let applied = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "smf-rest-ep"}, "spec": spec});
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "smf-rest-ep", "namespace": "smf-data",
                "annotations": {LAST_APPLIED: format!("{}\n", dump(&applied))}},
            "spec": spec});
        r.object(&mut d);
        assert_gone(&dump(&d));
        assert_container(&d["spec"]["template"]["spec"]["containers"][0]);
        let ann = d["metadata"]["annotations"][LAST_APPLIED].as_str().unwrap();
        assert!(ann.ends_with('\n'));
        let parsed: Value = serde_json::from_str(ann).expect("still JSON");
        assert_container(&parsed["spec"]["template"]["spec"]["containers"][0]);
        assert_eq!(parsed["spec"]["replicas"], 2);
        assert_eq!(counts(&r), [("env-value", 2), ("key-value", 4)]);
    }

    #[test]
    fn cronjob_template() {
        let r = on();
        let mut cj = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "backup"},
        "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
            "containers": [container("backup")],
            "initContainers": [{"name": "wait", "env": [{"name": "apiKey", "value": "k-12345"}]}],
        }}}}}});
        r.object(&mut cj);
        assert_gone(&dump(&cj));
        let pod = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_container(&pod["containers"][0]);
        assert_eq!(pod["initContainers"][0]["env"][0]["value"], MARK);
        assert_eq!(cj["spec"]["schedule"], "0 * * * *");
    }

    #[test]
    fn config_map_keys_and_values() {
        let r = on();
        let app_yaml = format!(
            "server:\n  port: 8080\ndb:\n  url: postgres://smf:{PASSWORD}@db:5432/smf\n  password: {PASSWORD}\nkeyspace: sessions\n"
        );
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "smf-service-config", "namespace": "smf-data"},
            "data": {
                "api_token": TOKEN,
                "application.yaml": app_yaml,
                "log_level": "debug",
                "auth_enabled": "true",
                "token_auth": "false",
            },
            "binaryData": {"tls.key": "a2V5", "logo.png": "iVBORw0KGgo="}});
        r.object(&mut cm);
        assert_gone(&dump(&cm));
        assert_eq!(cm["data"]["api_token"], MARK);
        assert_eq!(
            cm["data"]["application.yaml"],
            format!(
                "server:\n  port: 8080\ndb:\n  url: postgres://smf:{MARK}@db:5432/smf\n  password: {MARK}\nkeyspace: sessions\n"
            )
        );
        assert_eq!(cm["data"]["log_level"], "debug");
        assert_eq!(cm["data"]["auth_enabled"], "true");
        assert_eq!(cm["data"]["token_auth"], "false");
        assert_eq!(
            cm["binaryData"],
            json!({"tls.key": MARK, "logo.png": "iVBORw0KGgo="})
        );
        assert_eq!(
            counts(&r),
            [("config-key", 2), ("key-value", 1), ("url-credentials", 1)]
        );
    }

    #[test]
    fn certificates_are_not_secrets() {
        let r = on();
        let ca = "-----BEGIN CERTIFICATE-----\nMIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\ncm5ldGVzMB4XDTI2MDQwMTEwMDAwMFoXDTM2MDMzMDEwMDAwMFowFTETMBEGA1UE\n-----END CERTIFICATE-----\n";
        let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "kube-root-ca.crt"}, "data": {"ca.crt": ca}});
        let before = cm.clone();
        r.object(&mut cm);
        assert_eq!(cm, before);
        assert!(matches!(r.text(ca), Cow::Borrowed(_)));
        assert!(r.counts().is_empty());
    }

    #[test]
    fn other_objects_fields_annotations_and_events() {
        let r = on();
        let mut cr = json!({"apiVersion": "example.com/v1", "kind": "Database",
            "metadata": {"name": "db", "annotations": {"example.com/api-token": "t-123456",
                "example.com/owner": "smf"}},
            "spec": {"adminPassword": PASSWORD, "secretName": "db-admin",
                "bearerTokenFile": "/var/run/token", "credentials": {"user": "smf", "password": "x1"},
                "parameters": [{"name": "SESSION_TOKEN", "value": "s-1"}, {"name": "replicas", "value": "3"}],
                "dsn": format!("postgres://smf:{PASSWORD}@db/smf")}});
        r.object(&mut cr);
        assert_gone(&dump(&cr));
        assert_eq!(cr["metadata"]["annotations"]["example.com/api-token"], MARK);
        assert_eq!(cr["metadata"]["annotations"]["example.com/owner"], "smf");
        assert_eq!(cr["spec"]["secretName"], "db-admin");
        assert_eq!(cr["spec"]["bearerTokenFile"], "/var/run/token");
        assert_eq!(
            cr["spec"]["credentials"],
            json!({"user": "smf", "password": MARK})
        );
        assert_eq!(cr["spec"]["parameters"][0]["value"], MARK);
        assert_eq!(cr["spec"]["parameters"][1]["value"], "3");

        let mut ev = json!({"apiVersion": "v1", "kind": "Event", "type": "Warning",
            "involvedObject": {"kind": "Secret", "name": "smf-db-credentials"},
            "reason": "Failed", "message": BEARER_LINE});
        r.object(&mut ev);
        assert_eq!(ev["message"], BEARER_LINE.replace(TOKEN, MARK));
        assert_eq!(ev["involvedObject"]["name"], "smf-db-credentials");
        assert_eq!(
            counts(&r),
            [
                ("bearer-token", 1),
                ("env-value", 1),
                ("key-value", 3),
                ("url-credentials", 1)
            ]
        );
    }

    #[test]
    fn pem_private_keys_in_text() {
        let r = on();
        let file = format!(
            "tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    {}\n    -----END RSA PRIVATE KEY-----\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n    -----END CERTIFICATE-----\n",
            RSA_BODY.replace('\n', "\n    ")
        );
        let out = r.text(&file);
        assert_eq!(
            out,
            "tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    <redacted>\n    -----END RSA PRIVATE KEY-----\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n    -----END CERTIFICATE-----\n"
        );
        // Two keys, one truncated (no END): both bodies go, the text after stays.
        let two = format!(
            "-----BEGIN EC PRIVATE KEY-----\r\n{RSA_BODY}\r\n-----END EC PRIVATE KEY-----\r\nnext\n-----BEGIN PRIVATE KEY-----\n{RSA_BODY}\n\nafter the cut: fine\n"
        );
        assert_eq!(
            r.text(&two),
            "-----BEGIN EC PRIVATE KEY-----\r\n<redacted>\r\n-----END EC PRIVATE KEY-----\r\nnext\n-----BEGIN PRIVATE KEY-----\n<redacted>\n\nafter the cut: fine\n"
        );
        assert_eq!(counts(&r), [("private-key", 3)]);
        // text() also applies every line rule, and keeps a lone base64 line.
        let r = on();
        let mixed = format!(
            "{BEARER_LINE}\n{DB_URL_LINE}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
        );
        let out = r.text(&mixed);
        assert_gone(&out);
        assert!(out.contains("MIIEvQIBADANBgkq"));
        assert_eq!(counts(&r), [("bearer-token", 1), ("url-credentials", 1)]);
    }

    #[test]
    fn counts_add_up_across_everything() {
        let r = on();
        for _ in 0..3 {
            r.line(BEARER_LINE);
            r.line(DB_URL_LINE);
        }
        r.line("password=a token=b eyJhbGciOiJIUzI1NiJ9.c21mLXNlcnZpY2U.Zk3xq9Vd8pL2wR7nF4mTa");
        r.text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
        let mut s = json!({"kind": "Secret", "data": {"a": "YQ==", "b": "Yg=="}});
        r.object(&mut s);
        assert_eq!(
            counts(&r),
            [
                ("bearer-token", 3),
                ("jwt", 1),
                ("key-value", 2),
                ("private-key", 1),
                ("secret-data", 2),
                ("url-credentials", 3),
            ]
        );
        let total: u64 = r.counts().iter().map(|(_, n)| n).sum();
        assert_eq!(total, 12);
        // The report gets names and numbers only.
        assert_gone(&format!("{:?}", r.counts()));
    }

    #[test]
    fn disabled_changes_nothing() {
        let r = Redactor::new(false);
        assert!(!r.enabled());
        for l in [
            BEARER_LINE,
            DB_URL_LINE,
            "password=x",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
        ] {
            assert!(matches!(r.line(l), Cow::Borrowed(x) if x == l));
            assert!(matches!(r.text(l), Cow::Borrowed(x) if x == l));
        }
        let mut v = json!({"kind": "Secret", "data": {"password": PASSWORD_B64},
            "spec": {"containers": [container("c")]}});
        let before = v.clone();
        r.object(&mut v);
        assert_eq!(v, before);
        assert!(r.counts().is_empty());
        assert!(on().enabled());
    }

    #[test]
    fn shared_across_threads() {
        fn sync_send<T: Sync + Send>() {}
        sync_send::<Redactor>();
        let r = on();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..500 {
                        assert!(matches!(r.line(BEARER_LINE), Cow::Owned(_)));
                    }
                });
            }
        });
        assert_eq!(counts(&r), [("bearer-token", 4000)]);
    }

    #[test]
    fn name_classification() {
        for n in [
            "DB_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "mysqlRootPassword",
            "DBPASSWORD",
            "DB_PASS",
            "DB_PW",
            "DB_PWD",
            "JWT_SECRET",
            "GITHUB_TOKEN",
            "accessToken",
            "API_KEY",
            "apiKey",
            "APIKEY",
            "SSH_KEY",
            "signingKey",
            "tls.key",
            "ssh-privatekey",
            "PRIVATE_KEY",
            "SSH_KEY_PEM",
            "AWS_SECRET_ACCESS_KEY",
            "BASIC_AUTH",
            "AUTH",
            "REGISTRY_CREDENTIALS",
            "creds",
            "htpasswd",
            "PASSPHRASE",
            "api_token",
            "CLIENT_SECRET",
            "PASSWORD_HASH",
        ] {
            assert!(sensitive_name(n), "{n} should be sensitive");
        }
        for n in [
            "CASSANDRA_KEYSPACE",
            "KEYSPACE",
            "KEY_ID",
            "AWS_ACCESS_KEY_ID",
            "CACHE_KEY_PREFIX",
            "MONKEY",
            "KEYCLOAK_REALM",
            "DB_PASSWORD_FILE",
            "SECRET_NAME",
            "TOKEN_TTL",
            "AUTH_URL",
            "AUTH_ENABLED",
            "PASSWORD_POLICY",
            "PRIVATE_REGISTRY",
            "AUTHOR",
            "PASSENGER_COUNT",
            "PWD",
            "OLDPWD",
            "LOG_LEVEL",
            "JAVA_OPTS",
            "application.yaml",
            "DB_USER",
            "",
        ] {
            assert!(!sensitive_name(n), "{n} should not be sensitive");
        }
        for n in [
            "password",
            "adminPassword",
            "clientSecret",
            "bearerToken",
            "api-key",
            "x-auth-token",
            "credentials",
        ] {
            assert!(sensitive_key(n), "{n} should be a sensitive key");
        }
        for n in [
            "key",
            "secretName",
            "secretKeyRef",
            "tokenFile",
            "tokens",
            "keyspace",
            "PWD",
        ] {
            assert!(!sensitive_key(n), "{n} should not be a sensitive key");
        }
        assert_eq!(words("DBPassword_file"), ["db", "password", "file"]);
        assert_eq!(words("oauth2Token"), ["oauth2", "token"]);
    }

    #[test]
    fn long_lines_are_scanned_to_the_end() {
        // Puts the keyword across every chunk boundary of the gate's scan.
        for pad in 500..530 {
            let l = format!("{} Password={PASSWORD} done", "x".repeat(pad));
            let out = on().line(&l).into_owned();
            assert_eq!(out, format!("{} Password={MARK} done", "x".repeat(pad)));
        }
        let long = format!("{}{BEARER_LINE}", "ü ".repeat(3000));
        assert_gone(&on().line(&long));
    }

    /// `cargo test --release -- --nocapture throughput` prints the rate.
    #[test]
    fn throughput_on_ordinary_lines() {
        let lines = [
            "2026/04/01 10:00:00.000 smf-service [DEBUG] [RestRouter.go:24] [infra.rest_server.core] Rest message received from 192.168.41.7:30123 uri=/ping seq=4",
            "2026/04/01 10:00:00.003 smf-service [DEBUG] [RestRouter.go:43] [infra.rest_server.core] Set Ping as name for transaction seq=5",
            "2026/04/01 10:00:00.006 smf-service [INFO] [ApplicationEndpoint.go:333] [infra.application.core] Ping success for smf-service, took 412us seq=6",
            "2026/04/01 10:00:00.009 smf-rest-ep [INFO] [TransactionManager.go:211] [infra.transaction.core] Transaction completed txnId=482113 procedure=PDU_SESSION_MODIFY imsi-001010000042137 seq=7",
            "2026/04/01 10:00:00.012 smf-protocol [INFO] [PfcpHandler.go:412] [smf.protocol.pfcp] PFCP heartbeat response from upf-2 seqNo=4411 seq=8",
            "2026/04/01 10:00:00.015 smf-service [WARN] [GrpcClient.go:87] [infra.rpc_client.core] rpc error: code = Unavailable desc = connection refused, retrying smf-service:9003 in 212ms seq=11",
            "[2026-04-01 10:00:00,123] INFO [Log partition=__consumer_offsets-17, dir=/var/lib/kafka/data] Rolled new log segment at offset 1207 in 3 ms. (kafka.log.Log) seq=12",
            "2026-04-01 10:00:00,123 [myid:1] - INFO  [NIOWorkerThread-2:NIOServerCnxn@1056] - Closed socket connection for client /192.168.90.5:40001 which had sessionid 0x3f2a9c seq=13",
            r#"{"level":"info","ts":"2026-04-01T10:00:00.000000Z","caller":"mvcc/index.go:214","msg":"compact tree index","revision":91} seq=14"#,
            r#"{"level":"warn","ts":"2026-04-01T10:00:00.000000Z","caller":"etcdserver/util.go:170","msg":"apply request took too long","took":"212ms","expected-duration":"100ms"} seq=15"#,
            r#"192.168.208.4 - - [01/Apr/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 1234 "-" "kube-probe/1.36" 412 0.012 seq=16"#,
            r#"I0401 10:00:00.000000       1 smf_nodemgr.go:212] "Reconciled" object="smf-nodemgr-3" duration="12ms" seq=17"#,
            "Apr  1 10:00:00 worker-3 kubelet[1234]: I0401 10:00:00.000000    1234 kubelet.go:2461] \"SyncLoop (PLEG): event for pod\" pod=\"smf-data/smf-rest-ep-n0-0\"",
            "Apr  1 10:00:00 worker-3 containerd[987]: time=\"2026-04-01T10:00:00Z\" level=info msg=\"StartContainer for \\\"4f9c2a\\\" returns successfully\"",
        ];
        let n = if cfg!(debug_assertions) {
            50_000
        } else {
            1_000_000
        };
        let r = on();
        let bytes: usize = (0..n).map(|i| lines[i % lines.len()].len()).sum();
        let start = std::time::Instant::now();
        let mut borrowed = 0usize;
        for i in 0..n {
            if let Cow::Borrowed(_) = r.line(std::hint::black_box(lines[i % lines.len()])) {
                borrowed += 1;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(borrowed, n);
        assert!(r.counts().is_empty());
        println!(
            "redact::line: {n} ordinary lines in {:.3}s = {:.2} M lines/s, {:.0} MB/s",
            secs,
            n as f64 / secs / 1e6,
            bytes as f64 / secs / 1e6
        );
    }
}
