//! The node agent (`kubetac agent`) and what it knows about nodes: core
//! dumps with their metadata, and which pod a core most likely came from.

pub mod attribution;
pub mod coredump;
pub mod server;
