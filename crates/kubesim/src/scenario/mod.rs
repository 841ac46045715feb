//! Scenarios — being written.
