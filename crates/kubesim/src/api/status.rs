//! `Status` error bodies with the codes, reasons and messages of the real API
//! server: clients (kubectl, kube-rs) print and branch on them.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::resources::Resource;

pub fn status_body(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut v = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    v
}

pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Response {
    json_response(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        serde_json::to_vec(&status_body(code, reason, message, details)).unwrap_or_default(),
    )
}

pub fn json_response(code: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `<plural>[.<group>]`, the resource as error messages name it.
pub fn qualified(r: &Resource) -> String {
    if r.group.is_empty() {
        r.plural.to_string()
    } else {
        format!("{}.{}", r.plural, r.group)
    }
}

pub fn not_found(r: &Resource, name: &str) -> Response {
    let mut details = json!({"name": name, "kind": r.plural});
    if !r.group.is_empty() {
        details["group"] = json!(r.group);
    }
    status(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", qualified(r)),
        Some(details),
    )
}

pub fn bad_request(message: &str) -> Response {
    status(400, "BadRequest", message, None)
}

pub fn method_not_allowed() -> Response {
    status(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        Some(json!({})),
    )
}

pub fn unauthorized() -> Response {
    status(401, "Unauthorized", "Unauthorized", None)
}

/// The plain 404 the server's mux gives for a path it does not know.
pub fn page_not_found() -> Response {
    let mut r = Response::new(Body::from("404 page not found\n"));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
