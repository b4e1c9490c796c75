//! Crash safety: a server killed with SIGKILL while writes are under way
//! keeps every write it acknowledged, and none half-written, ten times in a
//! row on each backend (`CRM_CRASH_ROUNDS` for longer runs: see
//! `bench/crash.sh`); and a PostgreSQL restart under load is survived.

mod postgres_restart;
mod sigkill;
mod workload;
