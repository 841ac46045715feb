//! The simulated node's filesystem.
pub mod crilog;
