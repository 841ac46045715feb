//! kubetac: pod troubleshooting for Kubernetes. `main` only parses, runs and
//! turns the outcome into an exit code; errors are printed once, with their
//! causes, and a closed pipe (`| head`) is not an error.

use std::process::ExitCode;

mod agent;
mod cli;
mod cluster;
mod debugpkg;
mod inspect;
mod logs;
mod nodes;
mod opscenter;

fn main() -> ExitCode {
    // kube-rs and our servers use rustls with ring; it must be chosen before
    // any client or server is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = cli::parse();
    cli::init_tracing(&args);
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("kubetac: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
