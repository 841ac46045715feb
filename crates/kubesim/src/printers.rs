//! Server-side printing (Table) — being written.
