//! One allowed peer's limits, shared by all of its connections: its request
//! rate (a token bucket, so that opening more connections does not buy more
//! requests) and how many connections it holds open.

use super::PeerPolicy;
use crate::bucket::Bucket;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// An allowed peer's shared limits.
pub(super) struct PeerLimits {
	bucket: Mutex<Bucket>,
	connections: AtomicUsize,
	max_connections: usize,
}

/// An open connection counted against its peer; dropping it gives the
/// connection back.
pub(super) struct ConnectionSlot(Arc<PeerLimits>);

impl PeerLimits {
	/// A peer with a full bucket and no connection.
	pub(super) fn new(policy: &PeerPolicy, max_connections: usize) -> Self {
		PeerLimits {
			bucket: Mutex::new(Bucket::new(policy.requests_per_second, policy.burst)),
			connections: AtomicUsize::new(0),
			max_connections,
		}
	}

	/// Takes a request token; `false` when the peer is over its rate.
	pub(super) fn take(&self) -> bool {
		self.bucket.lock().unwrap_or_else(|p| p.into_inner()).take()
	}

	/// A connection slot, unless the peer holds all it may.
	pub(super) fn open(self: &Arc<Self>) -> Option<ConnectionSlot> {
		let max = self.max_connections;
		self.connections
			.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1))
			.ok()
			.map(|_| ConnectionSlot(self.clone()))
	}
}

impl ConnectionSlot {
	/// The peer's limits.
	pub(super) fn limits(&self) -> &PeerLimits {
		&self.0
	}
}

impl Drop for ConnectionSlot {
	fn drop(&mut self) {
		self.0.connections.fetch_sub(1, Ordering::AcqRel);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn connections_are_counted_and_given_back() {
		let limits = Arc::new(PeerLimits::new(&PeerPolicy::new(Vec::new()), 2));
		let first = limits.open().expect("one");
		let second = limits.open().expect("two");
		assert!(limits.open().is_none(), "a third is over the limit");
		drop(first);
		let third = limits.open().expect("a slot given back is taken again");
		drop((second, third));
		assert_eq!(limits.connections.load(Ordering::Acquire), 0);
	}

	#[test]
	fn the_bucket_is_shared() {
		let policy = PeerPolicy { requests_per_second: 0, burst: 2, ..PeerPolicy::new(Vec::new()) };
		let limits = Arc::new(PeerLimits::new(&policy, 2));
		let (a, b) = (limits.open().unwrap(), limits.open().unwrap());
		assert!(a.limits().take());
		assert!(b.limits().take());
		assert!(!a.limits().take(), "two connections share two tokens");
	}
}
