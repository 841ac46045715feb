//! The ops center's grammar compiled outside kubetac, for fuzzing: kubetac
//! is a binary crate, so its grammar sources are included by path, with the
//! few `crate::` items they use laid out at the same paths. The request
//! words parser is kubetac's own file; only `parse_time`, the session's
//! `Completion` and the CLI's clap tree are stand-ins (see `cli.rs`).

pub mod cli;

#[path = "../../crates/kubetac/src/debugpkg/request.rs"]
#[doc(hidden)]
pub mod request_src;

#[path = "../../crates/kubetac/src/opscenter/grammar/mod.rs"]
#[doc(hidden)]
pub mod grammar_src;

pub mod debugpkg {
    pub use crate::request_src as request;
}

pub mod opscenter {
    pub use crate::grammar_src as grammar;

    pub mod session {
        /// The same as kubetac's `opscenter::session::Completion`.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Completion {
            pub start: usize,
            pub candidates: Vec<String>,
        }
    }
}
