//! drctl's integration tests, one test binary (`cargo test --test integration`): the CLI
//! run as a user runs it, against a private state folder, the controller itself (host
//! `local`), a lab of real OpenSSH `sshd` hosts on loopback, or the PostgreSQL examples.

mod builder;
mod lab;
mod pg;

mod audit;
mod docs;
mod journal_damage;
mod link_failover;
mod pg_backup_restore;
mod pg_cutover_drill;
mod pg_failover;
mod pg_hot_migration;
mod schedule;
mod ssh_crash;
mod ssh_drill;
mod ssh_resume;
mod ssh_run;
mod state_local;
mod trust;
mod validate;
