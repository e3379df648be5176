//! Integration tests: the real binary on real files, and the library on queueing models.

mod bench;
mod cli;
mod compare;
mod desk;
mod errors;
mod faults;
mod fuzz;
mod gate;
mod golden;
mod html;
mod invariants;
mod layout;
mod queueing;
mod replay;
mod scenarios;
mod shard;
mod staff;
mod stress;
mod support;
mod sweep;
mod tickets;
mod week;
