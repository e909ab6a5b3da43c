//! How many AKA vectors a subscriber may be given: every vector moves its
//! SQN on, and a peer asking MAR after MAR could push the SQN past what the
//! USIM accepts (TS 33.102 annex C: a jump larger than its Δ fails every
//! later authentication until a resynchronisation). Each IMPI has a token
//! bucket of vectors; a MAR beyond it gets fewer vectors, or 5003 when none
//! is left. A resynchronisation (AUTS) is never counted: it is how a USIM
//! that lost step gets back (`docs/diameter-peers.md`, "AKA vectors").

use ims_primitives::ImpiId;
use schnellru::{ByLength, LruMap};
use std::sync::Mutex;
use std::time::Instant;

/// IMPIs whose buckets are kept; the least recently used goes first (it
/// then starts again full, which a peer could only use at the pace of its
/// own rate limit).
const BUCKETS: u32 = 100_000;

/// Vectors per IMPI: `burst` at once, refilled at `per_minute`.
pub(super) struct VectorBudget {
	per_second: f64,
	burst: f64,
	buckets: Mutex<LruMap<ImpiId, (f64, Instant), ByLength>>,
}

impl VectorBudget {
	/// A budget of `burst` vectors refilled at `per_minute`.
	pub(super) fn new(per_minute: u32, burst: u32) -> Self {
		VectorBudget {
			per_second: f64::from(per_minute) / 60.0,
			burst: f64::from(burst.max(1)),
			buckets: Mutex::new(LruMap::new(ByLength::new(BUCKETS))),
		}
	}

	/// Takes up to `wanted` vectors for `impi` at `now`; returns how many
	/// it may be given (0 when none is left).
	pub(super) fn take(&self, impi: ImpiId, wanted: u32, now: Instant) -> u32 {
		let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
		let Some((tokens, last)) = buckets.get_or_insert(impi, || (self.burst, now)) else {
			return wanted;
		};
		let elapsed = now.saturating_duration_since(*last).as_secs_f64();
		*tokens = (*tokens + elapsed * self.per_second).min(self.burst);
		*last = now;
		let granted = (tokens.floor() as u32).min(wanted);
		*tokens -= f64::from(granted);
		granted
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::time::Duration;

	#[test]
	fn a_burst_then_the_refill_rate() {
		let budget = VectorBudget::new(6, 5);
		let (alice, bob) = (ImpiId::repeat_byte(1), ImpiId::repeat_byte(2));
		let start = Instant::now();
		assert_eq!(budget.take(alice, 3, start), 3);
		assert_eq!(budget.take(alice, 3, start), 2, "two left of five");
		assert_eq!(budget.take(alice, 1, start), 0);
		assert_eq!(budget.take(bob, 5, start), 5, "each IMPI has its own");
		// Six a minute: one every ten seconds.
		assert_eq!(budget.take(alice, 5, start + Duration::from_secs(9)), 0);
		assert_eq!(budget.take(alice, 5, start + Duration::from_secs(21)), 2);
		assert_eq!(
			budget.take(alice, 9, start + Duration::from_secs(3600)),
			5,
			"never above the burst"
		);
	}
}
