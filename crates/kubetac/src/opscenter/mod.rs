//! The ops center: the guide's `ssh -p 2024 admin@<ops-center>` CLI and the
//! `show-tac-manager` HTTPS package server, served by `kubetac serve`, with
//! one command language (ConfD/Cisco style) shared by the SSH shell and
//! `kubetac shell`.

pub mod config;
pub mod exec;
pub mod grammar;
pub mod https;
pub mod session;
pub mod ssh;
pub mod users;
