//! Free loopback ports for the processes a test starts.

use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};

/// The first port handed out: below it, well-known and registered services.
const FIRST: u32 = 20_000;
/// Ports handed out, up to Linux's ephemeral range (32768 and up).
const COUNT: u32 = 12_000;

/// A port free when picked, from below Linux's ephemeral range: a port from
/// that range may, before its listener binds it, become the source port of
/// another process's outgoing connection (a CSCF's to its HSS), and the
/// listener then fails to start. Ports are handed out in turn from a start
/// that depends on the process, so that the tests of one process never get
/// the same port twice.
pub fn free_port(free: impl Fn(u16) -> bool) -> u16 {
	static NEXT: AtomicU32 = AtomicU32::new(0);
	let start = std::process::id() % COUNT;
	for _ in 0..COUNT {
		let turn = NEXT.fetch_add(1, Ordering::Relaxed);
		let port = u16::try_from(FIRST + (start + turn) % COUNT).expect("below 32768");
		if free(port) {
			return port;
		}
	}
	panic!("no free port in {FIRST}-{}", FIRST + COUNT - 1)
}

/// A TCP port free on 127.0.0.1.
pub fn free_tcp_port() -> u16 {
	free_port(|port| TcpListener::bind(("127.0.0.1", port)).is_ok())
}

/// A UDP port free on 127.0.0.1.
pub fn free_udp_port() -> u16 {
	free_port(|port| UdpSocket::bind(("127.0.0.1", port)).is_ok())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn ports_are_below_the_ephemeral_range_and_never_repeat() {
		let ports: Vec<u16> = (0..50).map(|_| free_tcp_port()).collect();
		assert!(ports.iter().all(|&p| (20_000..32_000).contains(&p)), "{ports:?}");
		let mut unique = ports.clone();
		unique.sort_unstable();
		unique.dedup();
		assert_eq!(unique.len(), ports.len());
	}
}
