//! The device watchdog of RFC 3539 section 3.4, as a responder runs it: a
//! connection with no message for Tw gets our DWR; if nothing at all
//! arrives for another Tw, the peer is gone and the connection is closed.
//! Any message from the peer, not only the DWA, shows that it is alive.

use std::time::{Duration, Instant};

/// What the connection should do now that a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Due {
	/// Nothing yet: wait again, at most this long.
	Wait(Duration),
	/// Send a DWR.
	Probe,
	/// The peer did not answer the DWR: close.
	Close,
}

/// One connection's watchdog.
pub(super) struct Watchdog {
	interval: Duration,
	/// When the peer last sent anything.
	heard: Instant,
	/// When our DWR went out, if one is unanswered.
	probed: Option<Instant>,
}

impl Watchdog {
	/// A watchdog with interval `interval` (Tw), the peer heard just now.
	pub(super) fn new(interval: Duration) -> Self {
		Watchdog { interval, heard: Instant::now(), probed: None }
	}

	/// The peer sent something: it is alive.
	pub(super) fn heard(&mut self) {
		self.heard = Instant::now();
		self.probed = None;
	}

	/// Our DWR went out.
	pub(super) fn probed(&mut self) {
		self.probed = Some(Instant::now());
	}

	/// What is due at `now`.
	pub(super) fn due(&self, now: Instant) -> Due {
		let since = self.probed.unwrap_or(self.heard);
		let left = self.interval.saturating_sub(now.saturating_duration_since(since));
		match (left.is_zero(), self.probed.is_some()) {
			(false, _) => Due::Wait(left),
			(true, false) => Due::Probe,
			(true, true) => Due::Close,
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn silence_brings_a_probe_then_the_close() {
		let tw = Duration::from_secs(30);
		let mut watchdog = Watchdog::new(tw);
		let start = watchdog.heard;
		assert_eq!(
			watchdog.due(start + Duration::from_secs(10)),
			Due::Wait(Duration::from_secs(20))
		);
		assert_eq!(watchdog.due(start + tw), Due::Probe);
		watchdog.probed = Some(start + tw);
		assert_eq!(
			watchdog.due(start + tw + Duration::from_secs(1)),
			Due::Wait(tw - Duration::from_secs(1))
		);
		assert_eq!(watchdog.due(start + tw * 2), Due::Close);
	}

	#[test]
	fn anything_heard_cancels_the_probe() {
		let tw = Duration::from_millis(50);
		let mut watchdog = Watchdog::new(tw);
		watchdog.probed();
		watchdog.heard();
		assert!(watchdog.probed.is_none());
		assert!(matches!(watchdog.due(Instant::now()), Due::Wait(_)));
	}
}
