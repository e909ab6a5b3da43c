//! The one harness that the project's tests and benchmarks start real
//! processes with: `ims-node`, the bridge, Kamailio.
//!
//! - [`ports`]: free loopback ports, from below the ephemeral range.
//! - [`Proc`]: a child in a process group of its own, its output kept, its
//!   last lines printed when the test fails, killed on drop.
//! - [`Node`]: `ims-node` on a temporary base path and free ports, with its
//!   readiness.
//! - [`wait_for`]: a bounded wait for a condition.
//! - [`pki`]: a throw-away CA and certificates for TLS tests.
//! - [`MariaDb`]: Debian's MariaDB server on a data directory of its own,
//!   for the importers that read another HSS's database.

#![allow(
	clippy::expect_used,
	clippy::unwrap_used,
	clippy::panic,
	clippy::indexing_slicing,
	reason = "test support: a process that cannot be started fails the test that asked for it"
)]

mod mariadb;
mod node;
pub mod pki;
pub mod ports;
mod process;

pub use mariadb::MariaDb;
pub use node::{node_binary, Node};
pub use ports::{free_tcp_port, free_udp_port};
pub use process::Proc;

use std::time::{Duration, Instant};

/// Waits until `ready()` holds, polling every 200 ms; panics with `what`
/// after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
	let deadline = Instant::now() + timeout;
	while Instant::now() < deadline {
		if ready() {
			return;
		}
		std::thread::sleep(Duration::from_millis(200));
	}
	panic!("{what} not ready after {timeout:?}");
}
