//! The IMS ledger's HSS front for Kamailio.
//!
//! Kamailio's I-CSCF and S-CSCF speak Diameter Cx to the bridge as they
//! would to an HSS. The bridge answers from an in-memory index of finalized
//! chain state and an encrypted vault of subscriber secrets, and writes an
//! audit record for every transaction back to the chain. [`run`] starts it
//! all; the `ims-bridge` binary is a thin command line around it.
//!
//! The Cx path, from the wire inwards:
//! - [`server`]: the listener (allow-list, connection cap, mutual TLS).
//! - [`diameter`]: the codec, the dictionary and the peer state machine.
//! - [`cx`]: one handler per Cx command (UAR, MAR, SAR, LIR) and RTR.
//! - [`index`]: finalized IMS state in memory, as the runtime's views.
//! - [`vault`]: the encrypted, crash-safe store of subscriber secrets.
//! - [`auth`]: Milenage (3GPP TS 35.206), AKA vectors and resynchronisation,
//!   SIP Digest (HA1).
//! - [`user_data`]: the IMS subscription XML of a SAA.
//! - [`pseudonym`]: how identities become on-chain pseudonyms.
//! - [`journal`]: the durable queue of audit records and registration
//!   reports, written before each answer.
//!
//! Around it:
//! - [`chain`]: the subxt client, the follower that fills the index, and
//!   the submitter that drains the journal.
//! - [`admin`] and [`provision`]: `ims-bridge subscriber ...` through the
//!   running bridge's Unix socket.
//! - [`api`]: the provisioning API over HTTPS, acting on chain for the
//!   token's account (`docs/provisioning-api.md`).
//! - [`config`]: `bridge.toml`, checked as a whole before any port is bound.
//! - [`hardening`]: no core dumps, no ptrace, secrets out of the
//!   environment.
//! - [`metrics`]: Prometheus metrics and their endpoint.
//!
//! The design notes behind them are in the repository's `docs/`.

pub mod admin;
pub mod api;
pub mod auth;
mod bucket;
pub mod chain;
pub mod config;
pub mod cx;
pub mod diameter;
pub mod hardening;
pub mod import;
pub mod index;
pub mod journal;
pub mod memory;
pub mod metrics;
pub mod provision;
pub mod pseudonym;
mod run;
pub mod server;
pub mod user_data;
pub mod vault;

pub use run::{run, signer, RunError, SignerError};
