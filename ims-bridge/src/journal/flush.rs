//! The flusher thread: makes the write-ahead log durable one `fdatasync`
//! after another, each covering every append written while the previous one
//! ran (group commit without a queue), then hands the frames to the
//! applier. See `docs/journal.md`.

use super::apply::Applied;
use super::{Frame, JournalError};
use std::fs::File;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Between the appends and the flusher thread, which makes the log durable
/// one `fdatasync` after another (each covering every append written while
/// the previous one ran), then hands the frames to the applier.
#[derive(Default)]
pub(super) struct Flush {
	/// The time from one flush to the next while appends come (zero: flush
	/// at once).
	pub(super) delay: Duration,
	pub(super) state: std::sync::Mutex<FlushState>,
	pub(super) wake: std::sync::Condvar,
	/// How far the log is durable and with the applier, or why it stopped.
	pub(super) flushed: watch::Sender<Flushed>,
}

#[derive(Default)]
pub(super) struct FlushState {
	/// Appends written to the log so far: each append's ticket.
	written: u64,
	/// Their frames not yet flushed, in order.
	frames: Vec<Frame>,
	/// Somebody waits for the flush: no more gathering.
	urgent: bool,
	/// The flusher waits for an append with no flush due: the next append
	/// wakes it (while a flush is due, appends gather without a wake-up).
	idle: bool,
	/// The journal is closing: flush what is left, then stop.
	pub(super) stop: bool,
}

#[derive(Default)]
pub(super) struct Flushed {
	/// Appends durable and handed to the applier.
	pub(super) through: u64,
	/// `fdatasync`s of the log so far.
	pub(super) flushes: u64,
	/// Why the flusher stopped.
	error: Option<Arc<JournalError>>,
}

impl Flush {
	/// The flusher's state, locked.
	fn lock(&self) -> Result<std::sync::MutexGuard<'_, FlushState>, JournalError> {
		self.state.lock().map_err(|_| JournalError::Stopped)
	}

	/// Takes the frames of an append just written; returns its ticket.
	pub(super) fn written(&self, frames: Vec<Frame>) -> Result<u64, JournalError> {
		let mut state = self.lock()?;
		// Only an idle flusher needs waking: one with a flush due takes
		// what was written when it is, so a steady flow of appends costs
		// the answering tasks no wake-up of another thread.
		if state.idle {
			self.wake.notify_one();
		}
		state.written = state.written.saturating_add(1);
		state.frames.extend(frames);
		Ok(state.written)
	}

	/// The ticket of the last append written.
	pub(super) fn last(&self) -> Result<u64, JournalError> {
		Ok(self.lock()?.written)
	}

	/// Waits until the appends up to `ticket` are durable and handed to the
	/// applier.
	pub(super) async fn wait(&self, ticket: u64) -> Result<(), JournalError> {
		let mut flushed = self.flushed.subscribe();
		if !self.delay.is_zero() && flushed.borrow().through < ticket {
			let mut state = self.lock()?;
			state.urgent = true;
			self.wake.notify_one();
		}
		let flushed = flushed
			.wait_for(|f| f.through >= ticket || f.error.is_some())
			.await
			.map_err(|_| JournalError::Stopped)?;
		match &flushed.error {
			Some(error) if flushed.through < ticket => Err(JournalError::Failed(error.clone())),
			_ => Ok(()),
		}
	}

	/// Why the flusher stopped, if it did.
	pub(super) fn error(&self) -> Option<Arc<JournalError>> {
		self.flushed.borrow().error.clone()
	}

	/// The flusher thread; it stops on a failed flush, or once asked to and
	/// nothing is left to flush. Appends written while it is idle start a
	/// flush `delay` later; after a flush the next is due `delay` later,
	/// and taking what was written by then needs no wake-up; with nothing
	/// written by then it goes idle.
	pub(super) fn run(&self, file: &File, applier: &mpsc::Sender<Applied>) {
		// When the next flush is due; `None`: idle.
		let mut due: Option<Instant> = None;
		loop {
			let (target, frames) = {
				let Ok(mut state) = self.state.lock() else { return };
				loop {
					if state.stop || (state.urgent && !state.frames.is_empty()) {
						break;
					}
					match due {
						None if state.frames.is_empty() => {
							state.idle = true;
							state = match self.wake.wait(state) {
								Ok(state) => state,
								Err(_) => return,
							};
							state.idle = false;
						},
						None => due = Some(Instant::now() + self.delay),
						Some(at) => {
							let left = at.saturating_duration_since(Instant::now());
							if !left.is_zero() {
								state = match self.wake.wait_timeout(state, left) {
									Ok((state, _)) => state,
									Err(_) => return,
								};
							} else if state.frames.is_empty() {
								due = None;
							} else {
								break;
							}
						},
					}
				}
				if state.frames.is_empty() {
					// Asked to stop, and nothing is left.
					return;
				}
				state.urgent = false;
				(state.written, std::mem::take(&mut state.frames))
			};
			let flushed = file.sync_data().map_err(JournalError::Log);
			let handed = flushed.and_then(|()| {
				applier.send(Applied::Frames(frames)).map_err(|_| JournalError::Stopped)
			});
			if let Err(error) = handed {
				tracing::error!(%error, "journal log flush failed; the journal stops and every Cx answer fails until the bridge is restarted");
				self.flushed.send_modify(|f| f.error = Some(Arc::new(error)));
				return;
			}
			self.flushed.send_modify(|f| {
				f.through = target;
				f.flushes = f.flushes.saturating_add(1);
			});
			due = Some(Instant::now() + self.delay);
		}
	}
}
