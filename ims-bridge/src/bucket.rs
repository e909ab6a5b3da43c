//! A request rate limit: a token bucket (per Diameter peer, per API token).

use std::time::Instant;

/// A token bucket.
pub(crate) struct Bucket {
	rate: f64,
	capacity: f64,
	tokens: f64,
	last: Instant,
}

impl Bucket {
	/// A full bucket for `rate` requests a second and a `burst` above it.
	pub(crate) fn new(rate: u32, burst: u32) -> Self {
		let capacity = f64::from(rate.saturating_add(burst).max(1));
		Bucket { rate: f64::from(rate), capacity, tokens: capacity, last: Instant::now() }
	}

	/// Takes a token; `false` when none is left.
	pub(crate) fn take(&mut self) -> bool {
		let now = Instant::now();
		let elapsed = now.duration_since(self.last).as_secs_f64();
		self.last = now;
		self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
		if self.tokens >= 1.0 {
			self.tokens -= 1.0;
			true
		} else {
			false
		}
	}
}
