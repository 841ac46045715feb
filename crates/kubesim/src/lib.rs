//! kubesim: a simulated Kubernetes cluster that real clients (kubectl, kube-rs,
//! kubetac) accept. It serves a subset of the Kubernetes API over HTTPS from an
//! in-memory world, and runs one simulated kubelet per node over a directory
//! laid out like a real node (`var/log/pods`, `var/lib/systemd/coredump`), so
//! that what the API says and what is on the "node" always agree.
//!
//! It exists so that everything in kubetac can be demonstrated, tested and
//! benchmarked on a laptop without a cluster. It must not depend on kubetac.

pub mod api;
pub mod fault;
pub mod kubelet;
pub mod metrics;
pub mod node;
pub mod printers;
pub mod prometheus;
pub mod resources;
pub mod scenario;
pub mod selector;
pub mod sim;
pub mod store;
pub mod tls;

pub use fault::Faults;
pub use sim::{Scenario, ServiceUpstream, Sim, SimConfig, SimError};
