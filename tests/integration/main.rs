//! drctl's integration tests, one test binary (`cargo test --test integration`): the CLI
//! run as a user runs it, against a private state folder, the controller itself (host
//! `local`), a lab of real OpenSSH `sshd` hosts on loopback, or the PostgreSQL examples.

mod builder;
mod direct;
mod jump_lab;
mod lab;
mod pg;

mod ansible;
mod audit;
mod bastion;
mod bastion_liveness;
mod become_lab;
mod become_sudo;
mod bounded_output;
mod dead_hosts;
mod docs;
mod estate;
mod etcd_cluster;
mod hosts_check;
mod html_report;
mod journal_damage;
mod language;
mod link_failover;
mod notify;
mod pg_backup_restore;
mod pg_cutover_drill;
mod pg_failover;
mod pg_hot_migration;
mod schedule;
mod ssh_ciphers;
mod ssh_crash;
mod ssh_drill;
mod ssh_resume;
mod ssh_run;
mod state_etcd;
mod state_etcd_chaos;
mod state_etcd_tls;
mod state_local;
mod state_migrate;
mod transfers;
mod transport_trust;
mod trust;
mod validate;
mod war_room;
mod war_room_etcd;
mod war_room_notify;
mod who;
