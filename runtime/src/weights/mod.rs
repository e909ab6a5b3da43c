//! The cost of a storage access on the node's database, measured by
//! `ims-node benchmark storage` on ParityDB (the node's only database) with
//! the state of 100,000 synthetic subscribers; the command, machine and
//! figures are in the generated file and in `docs/benchmarks.md`.

#[rustfmt::skip]
#[allow(unused_doc_comments, reason = "generated: documents each constant inside a macro")]
pub mod paritydb_weights;
