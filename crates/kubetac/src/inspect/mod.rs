//! Inspect and triage: the guide's first kubectl steps (namespaces, services,
//! pods, describe, containers, logs) done through the Kubernetes API, with
//! pod status computed exactly as kubectl computes it, and a one-line
//! diagnosis of every unhealthy pod.

pub mod status;
pub mod table;
