//! The applier thread: moves what the flushed log holds into the journal's
//! redb database, where the submitter reads it, and applies confirmations.
//! See `docs/journal.md`.

use super::wal::Void;
use super::{Entry, Frame, JournalError, AUDIT, CONFIRMED_REPORT, CONFIRMED_SEQUENCE, META};
use super::{NEXT_REPORT, NEXT_SEQUENCE, REGISTRATIONS};
use codec::Encode;
use redb::{Database, Durability, WriteTransaction};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Where the applier says that what was asked is done, or why it failed.
pub(super) type Ack = oneshot::Sender<Result<(), Arc<JournalError>>>;

/// What the applier thread is handed, in order.
pub(super) enum Applied {
	/// Durable in the log: into the database.
	Frames(Vec<Frame>),
	/// A confirmation, durable when acknowledged.
	Confirm(Confirmation, Ack),
	/// Acknowledged once everything before it is in the database.
	Settle(Ack),
	/// A half of the log to void once everything before it is durable in
	/// the database (the flusher hands it on behind the half's last frames).
	Void(Void, Ack),
}

/// Items the applier takes in one database transaction at most.
const GROUP_LIMIT: usize = 4096;
/// How long flushed frames gather before the applier's database
/// transaction, counting the flush interval (unless a confirmation,
/// `settle` or void comes): flushes that follow each other at once
/// (`before-answer`) gather for this long, those a flush interval apart
/// as long or longer are applied as they come. Only the submitter reads
/// the database, a few times a second.
pub(super) const APPLY_DELAY: Duration = Duration::from_millis(20);
/// Entries the applier stores between durable database commits when
/// nobody asks for one (a confirmation or a void of a half of the log
/// does), so that no commit has many pages to write: the durable commit
/// before a void then writes only the last few thousand entries' pages.
const DURABLE_EVERY: usize = 16_384;

/// The applier's numbering and confirmations, written with every batch.
pub(super) struct Counters {
	pub(super) sequence: u64,
	pub(super) report: u64,
	pub(super) confirmed_sequence: u64,
	pub(super) confirmed_report: u64,
}

/// A confirmation: which queue, and the first number still pending.
#[derive(Clone, Copy)]
pub(super) enum Confirmation {
	Audit(u64),
	Registrations(u64),
}

/// Writes numbered entries and confirmations into `txn`; entries below a
/// confirmation (replayed frames) are skipped.
pub(super) fn apply(
	txn: &WriteTransaction,
	state: &mut Counters,
	entries: &[Frame],
	confirmations: &[Confirmation],
) -> Result<(), JournalError> {
	let mut audit = txn.open_table(AUDIT)?;
	let mut registrations = txn.open_table(REGISTRATIONS)?;
	for Frame { number, entry } in entries {
		match entry {
			Entry::Audit(realm, record) => {
				state.sequence = state.sequence.max(number.saturating_add(1));
				if *number >= state.confirmed_sequence {
					audit.insert(number, (realm, record).encode().as_slice())?;
				}
			},
			Entry::Registration(report) => {
				state.report = state.report.max(number.saturating_add(1));
				if *number >= state.confirmed_report {
					registrations.insert(number, report.encode().as_slice())?;
				}
			},
		}
	}
	for confirmation in confirmations {
		match *confirmation {
			Confirmation::Audit(next) => {
				audit.retain_in(..next, |_, _| false)?;
				state.confirmed_sequence = state.confirmed_sequence.max(next);
				state.sequence = state.sequence.max(next);
			},
			Confirmation::Registrations(next) => {
				registrations.retain_in(..next, |_, _| false)?;
				state.confirmed_report = state.confirmed_report.max(next);
			},
		}
	}
	let mut meta = txn.open_table(META)?;
	meta.insert(NEXT_SEQUENCE, state.sequence)?;
	meta.insert(NEXT_REPORT, state.report)?;
	meta.insert(CONFIRMED_SEQUENCE, state.confirmed_sequence)?;
	meta.insert(CONFIRMED_REPORT, state.confirmed_report)?;
	Ok(())
}

/// One batch of the applier's work, sorted.
#[derive(Default)]
struct Batch {
	frames: Vec<Frame>,
	confirmations: Vec<Confirmation>,
	/// Who waits for the batch to be stored.
	waiting: Vec<Ack>,
	/// Halves of the log to void once the batch is durable.
	voids: Vec<(Void, Ack)>,
	/// A confirmation that moves something, or a void, asks for a durable
	/// commit.
	durable: bool,
}

/// Takes `first` and what follows it: frames gather for `gather` after the
/// first; anything somebody waits for ends the gathering.
fn gather_batch(first: Applied, rx: &mpsc::Receiver<Applied>, gather: Duration) -> Vec<Applied> {
	let deadline = Instant::now() + gather;
	let mut waited_for = !matches!(first, Applied::Frames(_));
	let mut batch = vec![first];
	while batch.len() < GROUP_LIMIT {
		let next = if waited_for {
			rx.try_recv().ok()
		} else {
			let left = deadline.saturating_duration_since(Instant::now());
			rx.recv_timeout(left).ok()
		};
		let Some(more) = next else { break };
		waited_for |= !matches!(more, Applied::Frames(_));
		batch.push(more);
	}
	batch
}

/// Sorts gathered items into frames, confirmations and waiters.
fn sort_batch(items: Vec<Applied>, state: &Counters) -> Batch {
	let mut batch = Batch::default();
	for item in items {
		match item {
			Applied::Frames(more) => batch.frames.extend(more),
			Applied::Confirm(confirmation, ack) => {
				// A confirmation that moves nothing (the follower confirms at
				// every finalized block) costs no disk write.
				batch.durable |= match confirmation {
					Confirmation::Audit(next) => next > state.confirmed_sequence,
					Confirmation::Registrations(next) => next > state.confirmed_report,
				};
				batch.confirmations.push(confirmation);
				batch.waiting.push(ack);
			},
			Applied::Settle(ack) => batch.waiting.push(ack),
			Applied::Void(void, ack) => {
				batch.durable = true;
				batch.voids.push((void, ack));
			},
		}
	}
	batch
}

/// Stores a batch in one transaction, durable or not.
fn store(db: &Database, state: &mut Counters, batch: &Batch) -> Result<(), JournalError> {
	let mut txn = db.begin_write()?;
	txn.set_durability(if batch.durable { Durability::Immediate } else { Durability::None })?;
	apply(&txn, state, &batch.frames, &batch.confirmations)?;
	txn.commit()?;
	Ok(())
}

/// A durable commit of everything stored so far.
fn make_durable(db: &Database) -> Result<(), JournalError> {
	let mut txn = db.begin_write()?;
	txn.set_durability(Durability::Immediate)?;
	txn.commit()?;
	Ok(())
}

/// The applier thread: moves what the log holds into the database in
/// batches (frames gather for `gather` after the first), without waiting
/// for the disk unless a confirmation or a void of a half of the log asks
/// for it. Once every sender is gone it makes the database durable and
/// returns whether all of the log is in it (then the log may be voided).
/// After a failed database write it applies nothing more and answers every
/// confirmation, settle and void with the error: the entries it could not
/// store are only in the log, which must then be replayed at the next
/// start, never voided.
pub(super) fn apply_loop(
	db: &Database,
	mut state: Counters,
	rx: mpsc::Receiver<Applied>,
	gather: Duration,
	stopped: &CancellationToken,
) -> bool {
	let mut broken: Option<Arc<JournalError>> = None;
	// Entries stored since the last durable commit.
	let mut since_durable = 0usize;
	while let Ok(first) = rx.recv() {
		let mut batch = sort_batch(gather_batch(first, &rx, gather), &state);
		since_durable = since_durable.saturating_add(batch.frames.len());
		batch.durable |= since_durable >= DURABLE_EVERY;
		if batch.durable {
			since_durable = 0;
		}
		if broken.is_none() {
			if let Err(e) = store(db, &mut state, &batch) {
				tracing::error!(error = %e, "journal database write failed; the log keeps the entries until the bridge is restarted");
				broken = Some(Arc::new(e));
				stopped.cancel();
			}
		}
		for ack in batch.waiting {
			let _ = ack.send(broken.clone().map_or(Ok(()), Err));
		}
		for (void, ack) in batch.voids {
			// After a failed write the half holds entries the database
			// lacks: it is never voided.
			let voided = match &broken {
				Some(error) => Err(error.clone()),
				None => void.run().map_err(|e| Arc::new(JournalError::Log(e))),
			};
			let _ = ack.send(voided);
		}
	}
	if broken.is_some() {
		return false;
	}
	match make_durable(db) {
		Ok(()) => true,
		Err(e) => {
			tracing::error!(error = %e, "journal database commit at shutdown failed; the log is replayed at the next start");
			false
		},
	}
}
