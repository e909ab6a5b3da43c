//! The bridge against real processes: `ims-node --dev`, the `ims-bridge`
//! binary, Debian's Kamailio I-CSCF and S-CSCF and SIPp. One test binary,
//! so that its tests run side by side as cargo runs the tests of one binary
//! (each on a chain of its own), one module per subject:
//!
//! - `api`: the provisioning API over HTTPS, as the tokens' accounts;
//!   `api_audit`: every API request in the audit trail; `api_credentials`:
//!   a password change as the caller; `api_consents`: lawful bases recorded
//!   and withdrawn; `api_impus`: a public identity added; `api_registration`:
//!   an RTR an operator asked for;
//!   `api_retries`:
//!   writes retried with an idempotency key;
//! - `registration`: registrations end to end, RTR, restarts, provisioning;
//! - `import`: `ims-bridge import` through a bridge, bad lines, runs
//!   interrupted and killed; `import_fhoss`, `import_pyhss`: a FHoSS and a
//!   PyHSS database in MariaDB imported, their subscribers registered
//!   through Kamailio; `import_open5gs`: an Open5GS export imported
//!   through a running bridge, its subscriber registered;
//! - `peer_roles`: requests outside a peer's role refused and recorded on
//!   chain;
//! - `pressure`: the journal's backlog mark answered with 3004, and the
//!   recovery once the chain confirms again;
//! - `snapshot`: restarts resumed from the index snapshot, and a damaged
//!   one refused;
//! - `hardening`: no core dumps, secret variables out of the environment;
//! - `node_tls`: the node reached over `wss://` with a pinned CA, through
//!   a TLS front that restarts, and a certificate of another CA refused;
//! - `tunnel`: Kamailio through stunnel to the bridge's mutual TLS;
//! - `vault_keys`: the vault key rotated under Cx load, and erasure
//!   holding against an old copy of the vault file;
//! - `submitter`: the journal drained into the chain through refusals and
//!   nonce races, and the drain benchmark (ignored);
//! - `bench_register`: the REGISTER latency benchmark (ignored);
//! - `common`: the set-up they share, on `ims-test-harness`; `cx_client`:
//!   a Diameter client speaking Cx to the bridge as one of its peers.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "integration-test helpers: a step that fails fails the test"
)]

mod api;
mod api_audit;
mod api_consents;
mod api_credentials;
mod api_impus;
mod api_registration;
mod api_retries;
mod bench_register;
mod common;
mod cx_client;
mod hardening;
mod import;
mod import_fhoss;
mod import_open5gs;
mod import_pyhss;
mod node_tls;
mod peer_roles;
mod pressure;
mod registration;
mod snapshot;
mod submitter;
mod tunnel;
mod vault_keys;
