//! The flusher thread: makes the write-ahead log durable one `fdatasync`
//! after another, each covering every append written while the previous one
//! ran (group commit without a queue), then hands the frames to the
//! applier. See `docs/journal.md`.

use super::apply::{Ack, Applied};
use super::wal::Void;
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
	/// Halves of the log to void once every frame written before them is
	/// with the applier, who voids them after its next durable commit.
	voids: Vec<(Void, Ack)>,
	/// The flusher stopped on a failure: no void can be handed on.
	failed: bool,
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

	/// Hands `void` to the applier behind every frame written so far;
	/// `ack` hears when it has run (`docs/journal.md`, "Two halves").
	pub(super) fn void_after(&self, void: Void, ack: Ack) -> Result<(), JournalError> {
		let mut state = self.lock()?;
		if state.failed {
			return Err(self.error().map_or(JournalError::Stopped, JournalError::Failed));
		}
		if state.idle {
			self.wake.notify_one();
		}
		state.voids.push((void, ack));
		Ok(())
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
			let (target, frames, voids) = {
				let Ok(mut state) = self.state.lock() else { return };
				loop {
					if state.stop || (state.urgent && state.pending()) {
						break;
					}
					match due {
						None if !state.pending() => {
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
							} else if !state.pending() {
								due = None;
							} else {
								break;
							}
						},
					}
				}
				if !state.pending() {
					// Asked to stop, and nothing is left.
					return;
				}
				state.urgent = false;
				let voids = std::mem::take(&mut state.voids);
				(state.written, std::mem::take(&mut state.frames), voids)
			};
			if let Err(error) = Self::hand_on(file, applier, frames, voids) {
				tracing::error!(%error, "journal log flush failed; the journal stops and every Cx answer fails until the bridge is restarted");
				let error = Arc::new(error);
				self.flushed.send_modify(|f| f.error = Some(error.clone()));
				if let Ok(mut state) = self.state.lock() {
					state.failed = true;
					for (_, ack) in state.voids.drain(..) {
						let _ = ack.send(Err(error.clone()));
					}
				}
				return;
			}
			self.flushed.send_modify(|f| {
				f.through = target;
				f.flushes = f.flushes.saturating_add(1);
			});
			due = Some(Instant::now() + self.delay);
		}
	}

	/// One flush: makes the log durable, then hands its frames to the
	/// applier, and the voids taken with them after them. A void not
	/// handed on is dropped with its ack, and its waiter hears that the
	/// journal stopped.
	fn hand_on(
		file: &File,
		applier: &mpsc::Sender<Applied>,
		frames: Vec<Frame>,
		voids: Vec<(Void, Ack)>,
	) -> Result<(), JournalError> {
		file.sync_data().map_err(JournalError::Log)?;
		if !frames.is_empty() {
			applier.send(Applied::Frames(frames)).map_err(|_| JournalError::Stopped)?;
		}
		for (void, ack) in voids {
			applier.send(Applied::Void(void, ack)).map_err(|_| JournalError::Stopped)?;
		}
		Ok(())
	}
}

impl FlushState {
	/// Whether anything waits for the flusher: frames, or voids.
	fn pending(&self) -> bool {
		!self.frames.is_empty() || !self.voids.is_empty()
	}
}
