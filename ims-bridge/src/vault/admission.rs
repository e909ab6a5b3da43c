//! Which subscriptions the read cache takes in: one a read misses for the
//! second time within the cache's recent past, not one seen once. See
//! `docs/vault.md`, "Admission".

/// Misses remembered, at the least, before the memory starts over: enough
/// for the few Cx requests of one registration to find each other in a
/// small cache.
const MIN_WINDOW: u32 = 1024;
/// Bits per remembered miss: with three bits set each, about 3% of the
/// subscriptions never missed pass for seen once the memory is full.
const BITS_PER_MISS: usize = 8;

/// A memory of recent misses: a Bloom filter over subscription handles,
/// cleared once it has taken in as many misses as the cache has entries.
/// A handle is a keyed hash (a pseudonym), so its bytes serve as the
/// filter's hashes.
pub(super) struct Admission {
	bits: Vec<u64>,
	/// The filter's size in bits, minus one (a power of two).
	mask: usize,
	/// Misses taken in since the last clearing.
	taken: u32,
	window: u32,
}

impl Admission {
	/// A memory of the last `subscribers` misses (at least [`MIN_WINDOW`]).
	pub(super) fn new(subscribers: u32) -> Admission {
		let window = subscribers.max(MIN_WINDOW);
		let bits = (window as usize).saturating_mul(BITS_PER_MISS).next_power_of_two();
		Admission { bits: vec![0; bits / 64], mask: bits - 1, taken: 0, window }
	}

	/// Whether a subscription a read has just missed goes into the cache:
	/// yes when an earlier miss of it is remembered; otherwise this miss
	/// is.
	pub(super) fn admit(&mut self, handle: &[u8; 32]) -> bool {
		let hashes = u128::from_le_bytes(*handle.first_chunk::<16>().unwrap_or(&[0; 16]));
		let positions = [0, 32, 64].map(|shift| (hashes >> shift) as u32 as usize & self.mask);
		if positions.iter().all(|&p| self.is_set(p)) {
			return true;
		}
		for p in positions {
			if let Some(word) = self.bits.get_mut(p / 64) {
				*word |= 1 << (p % 64);
			}
		}
		self.taken += 1;
		if self.taken >= self.window {
			self.bits.fill(0);
			self.taken = 0;
		}
		false
	}

	fn is_set(&self, position: usize) -> bool {
		self.bits.get(position / 64).is_some_and(|word| word & (1 << (position % 64)) != 0)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::pseudonym::{pseudonym, Kind};

	fn handle(i: u32) -> [u8; 32] {
		pseudonym(&[7; 32], Kind::Subscription, &format!("s{i}"))
	}

	#[test]
	fn a_subscription_goes_in_on_its_second_miss() {
		let mut admission = Admission::new(100);
		assert!(!admission.admit(&handle(1)));
		assert!(!admission.admit(&handle(2)));
		assert!(admission.admit(&handle(1)));
		assert!(admission.admit(&handle(2)));
	}

	#[test]
	fn misses_older_than_the_window_are_forgotten() {
		let mut admission = Admission::new(2000);
		assert!(!admission.admit(&handle(0)));
		// Enough misses to fill the memory, however many of them pass for
		// seen: it clears after 2,000 taken in.
		let mut i = 1;
		while admission.taken != 0 {
			admission.admit(&handle(i));
			i += 1;
		}
		assert!(i >= 2000);
		assert!(!admission.admit(&handle(0)));
	}

	#[test]
	fn few_subscriptions_never_missed_pass_for_seen() {
		let mut admission = Admission::new(10_000);
		for i in 0..9_999 {
			admission.admit(&handle(i));
		}
		let passed = (100_000..110_000).filter(|i| admission.admit(&handle(*i))).count();
		// About 3% with a full memory; fewer as it fills with these.
		assert!(passed < 400, "{passed} of 10,000 new handles admitted");
	}
}
