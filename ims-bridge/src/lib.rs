//! The IMS ledger's HSS front for Kamailio.
//!
//! Kamailio's I-CSCF and S-CSCF speak Diameter Cx to the bridge as they
//! would to an HSS. The bridge answers from an in-memory index of finalized
//! chain state and an encrypted vault of subscriber secrets, and writes an
//! audit record for every transaction back to the chain.
//!
//! - [`diameter`]: the codec, the dictionary and the peer state machine.
//! - [`auth`]: Milenage (3GPP TS 35.206), AKA vectors and resynchronisation,
//!   SIP Digest (HA1).
//! - [`vault`]: the encrypted, crash-safe store of subscriber secrets.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg_attr(
	test,
	allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)
)]

pub mod auth;
pub mod chain;
pub mod cx;
pub mod diameter;
pub mod index;
pub mod journal;
pub mod metrics;
pub mod pseudonym;
pub mod server;
pub mod user_data;
pub mod vault;
