//! CRI container log files — being written.
