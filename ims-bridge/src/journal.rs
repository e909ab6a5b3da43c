//! The durable queue of what the bridge owes the chain: an audit record
//! for every Cx transaction, and the registration state its SARs set.
//!
//! An append is numbered and written to the write-ahead log ([`wal`]) in
//! the caller's own task, under one lock: a few hundred bytes into the
//! page cache, no hand-off to another thread on the way to the answer. A
//! flusher thread makes the log durable, one `fdatasync` covering every
//! append written while the previous one ran (group commit without a
//! queue), then hands the frames to an applier thread, which stores them
//! in a redb database without waiting for the disk (`Durability::None`);
//! the submitter reads them there. A checkpoint (a durable redb commit,
//! then a new log generation) follows a nearly full log and shutdown;
//! confirmations are durable commits. Opening the journal replays the
//! log's frames into the database, so what was acknowledged is there after
//! any crash, and the submitter never sees a record before it is durable.
//!
//! Where the answer waits is the operator's choice ([`Sync`]): only for
//! the write to the file (the default: nothing is lost by a crash of the
//! bridge; a power loss can lose the last flush interval, 20 ms by
//! default), which keeps the disk's flush latency out of every answer, or
//! for the `fdatasync` (nothing answered is lost even by a power loss).
//! Entries appended together ([`Journal::append`]: a SAR's registration
//! report and audit record) are written and flushed together.
//!
//! Audit records are numbered with this bridge's sequence numbers, which
//! the audit pallet checks (`NextSequence` per submitter): the submitter
//! reads the oldest records, sends them as batches, and deletes them once
//! their batch is finalized ([`Journal::confirm_audit`]). After a restart
//! the chain's `AuditApi::next_sequence` says where to resume; records
//! below it were recorded and are dropped, the rest are sent again.

mod wal;

use codec::{Decode, Encode};
use ims_primitives::audit::FrontRecord;
use ims_primitives::{ImpuId, Name, RealmId, RegistrationState};
use redb::{
	Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
	WriteTransaction,
};
use std::fs::File;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, watch};
use wal::Wal;

/// Audit records by sequence number: SCALE `(RealmId, FrontRecord)`.
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// Registration reports by local number: SCALE [`RegistrationReport`].
const REGISTRATIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("registrations");
/// Counters.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const NEXT_SEQUENCE: &str = "next-sequence";
const NEXT_REPORT: &str = "next-report";
/// Numbers below these were confirmed (recorded on chain): a log frame
/// replayed after a crash never brings them back.
const CONFIRMED_SEQUENCE: &str = "confirmed-sequence";
const CONFIRMED_REPORT: &str = "confirmed-report";
/// Items the applier takes in one database transaction at most.
const GROUP_LIMIT: usize = 4096;
/// With [`Sync::WithAnswer`], the default time between two `fdatasync`s of
/// the log while appends come (unless a checkpoint, `settle` or shutdown
/// asks sooner): the most a power loss can lose, besides the flush itself.
/// Answers never wait for it. Each flush wakes the flusher and the applier
/// threads, which on a machine shared with the CSCFs takes CPU from them:
/// see [`JournalOptions::flush_interval`].
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(20);
/// The longest flush interval a configuration may ask for.
pub const MAX_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// How long flushed frames gather before the applier's database
/// transaction, counting the flush interval (unless a confirmation,
/// `settle` or checkpoint comes): flushes that follow each other at once
/// (`before-answer`) gather for this long, those a flush interval apart
/// as long or longer are applied as they come. Only the submitter reads
/// the database, a few times a second.
const APPLY_DELAY: Duration = Duration::from_millis(20);
/// Entries the applier stores between durable database commits when
/// nobody asks for one (a confirmation or a checkpoint does). Without them,
/// the checkpoint when the log fills would write every page dirtied since
/// the last confirmation while appends wait (some 30 ms at 60,000 answers a
/// second with no chain to confirm); with them, only the last few
/// thousand entries' pages, and the rest is written by the applier thread
/// in the background.
const DURABLE_EVERY: usize = 16_384;
/// The write-ahead log's size: 16 MiB, some 80,000 audit records between
/// checkpoints.
pub const DEFAULT_LOG_CAPACITY: u64 = 16 << 20;

/// An audit record as the bridge submits it (accounts are 32 bytes).
pub type Record = FrontRecord<[u8; 32]>;

/// A registration state to report (`identity.record_registrations`); the
/// same SCALE layout as the pallet's `RegistrationUpdate`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct RegistrationReport {
	/// The public identity (its implicit set follows it).
	pub impu: ImpuId,
	/// The new state.
	pub state: RegistrationState,
	/// The S-CSCF, for `Registered` and `Unregistered`.
	pub scscf: Option<Name>,
}

/// What went wrong in the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
	/// The storage failed.
	#[error("journal storage: {0}")]
	Storage(String),
	/// The journal stopped after a fatal storage error (or is shutting
	/// down); a restart replays what is durable.
	#[error("the journal has stopped")]
	Stopped,
	/// A stored entry does not decode.
	#[error("journal entry {0} is corrupt")]
	Corrupt(u64),
}

crate::storage_errors!(
	JournalError,
	redb::DatabaseError,
	redb::TransactionError,
	redb::TableError,
	redb::StorageError,
	redb::CommitError,
	redb::SetDurabilityError,
	std::io::Error
);

/// When an appended record is durable, relative to the answer it records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sync {
	/// The answer waits for the `fdatasync` of its record: nothing answered
	/// is ever missing from the trail, even after a power loss of the
	/// machine, at the price of a disk flush in every answer's latency.
	BeforeAnswer,
	/// The answer waits for the record to be written to the file (in the
	/// kernel's page cache: it survives any crash of the bridge) and goes
	/// while the flusher thread flushes it, within the flush interval
	/// ([`DEFAULT_FLUSH_INTERVAL`]) and one `fdatasync`. A power loss of the
	/// machine can lose the records of that interval. The default.
	#[default]
	WithAnswer,
}

/// One entry of the journal, as the log holds it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Entry {
	/// An audit record for a realm's trail.
	Audit(RealmId, Record),
	/// A registration state to report.
	Registration(RegistrationReport),
}

/// An entry with the number it was given.
#[derive(Encode, Decode)]
struct Frame {
	number: u64,
	entry: Entry,
}

type Ack = oneshot::Sender<Result<(), String>>;

/// What the applier thread is handed, in order.
enum Applied {
	/// Durable in the log: into the database.
	Frames(Vec<Frame>),
	/// A confirmation, durable when acknowledged.
	Confirm(Confirmation, Ack),
	/// Acknowledged once everything before it is in the database.
	Settle(Ack),
	/// Everything before it made durable in the database (the log is then
	/// voided).
	Checkpoint(Ack),
}

/// The journal. Cheap to clone; when the last clone is dropped, what was
/// appended is flushed and checkpointed and the threads stop.
#[derive(Clone)]
pub struct Journal {
	db: Arc<Database>,
	inner: Arc<Inner>,
}

/// What the clones share.
struct Inner {
	sync: Sync,
	/// The log's tail and the numbering: appends take turns here, and write
	/// in the caller's task (no hand-off to another thread on the way to
	/// the answer).
	log: tokio::sync::Mutex<Log>,
	flush: Arc<Flush>,
	applier: Option<mpsc::Sender<Applied>>,
	flusher_thread: Option<std::thread::JoinHandle<()>>,
	applier_thread: Option<std::thread::JoinHandle<bool>>,
}

struct Log {
	wal: Wal,
	/// The next audit sequence number and registration report number.
	numbers: (u64, u64),
	/// Why the journal stopped: after a failed write the log's tail is
	/// unknown, so no further number may be given out (the chain refuses
	/// gaps, and a replay must not meet two records under one number).
	/// Every append fails from then on; a restart replays what is durable.
	failed: Option<String>,
}

impl Log {
	fn fail(&mut self, error: impl std::fmt::Display) -> JournalError {
		let error = error.to_string();
		if self.failed.is_none() {
			tracing::error!(%error, "journal write failed; the journal stops and every Cx answer fails until the bridge is restarted");
			self.failed = Some(error.clone());
		}
		JournalError::Storage(error)
	}
}

/// Between the appends and the flusher thread, which makes the log durable
/// one `fdatasync` after another (each covering every append written while
/// the previous one ran), then hands the frames to the applier.
#[derive(Default)]
struct Flush {
	/// The time from one flush to the next while appends come (zero: flush
	/// at once).
	delay: Duration,
	state: std::sync::Mutex<FlushState>,
	wake: std::sync::Condvar,
	/// How far the log is durable and with the applier, or why it stopped.
	flushed: watch::Sender<Flushed>,
}

#[derive(Default)]
struct FlushState {
	/// Appends written to the log so far: each append's ticket.
	written: u64,
	/// Their frames not yet flushed, in order.
	frames: Vec<Frame>,
	/// Somebody waits for the flush: no more gathering.
	urgent: bool,
	/// The flusher waits for an append with no flush due: the next append
	/// wakes it (while a flush is due, appends gather without a wake-up).
	idle: bool,
	stop: bool,
}

#[derive(Default)]
struct Flushed {
	/// Appends durable and handed to the applier.
	through: u64,
	/// `fdatasync`s of the log so far.
	flushes: u64,
	error: Option<String>,
}

impl Flush {
	fn lock(&self) -> Result<std::sync::MutexGuard<'_, FlushState>, JournalError> {
		self.state.lock().map_err(|_| JournalError::Stopped)
	}

	/// Takes the frames of an append just written; returns its ticket.
	fn written(&self, frames: Vec<Frame>) -> Result<u64, JournalError> {
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
	fn last(&self) -> Result<u64, JournalError> {
		Ok(self.lock()?.written)
	}

	/// Waits until the appends up to `ticket` are durable and handed to the
	/// applier.
	async fn wait(&self, ticket: u64) -> Result<(), JournalError> {
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
			Some(error) if flushed.through < ticket => Err(JournalError::Storage(error.clone())),
			_ => Ok(()),
		}
	}

	fn error(&self) -> Option<String> {
		self.flushed.borrow().error.clone()
	}

	/// The flusher thread; it stops on a failed flush, or once asked to and
	/// nothing is left to flush. Appends written while it is idle start a
	/// flush `delay` later; after a flush the next is due `delay` later,
	/// and taking what was written by then needs no wake-up; with nothing
	/// written by then it goes idle.
	fn run(&self, file: &File, applier: &mpsc::Sender<Applied>) {
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
			let flushed = file.sync_data().map_err(|e| format!("journal log fdatasync: {e}"));
			let handed = flushed.and_then(|()| {
				applier.send(Applied::Frames(frames)).map_err(|_| "journal applier gone".into())
			});
			if let Err(error) = handed {
				tracing::error!(%error, "journal log flush failed; the journal stops and every Cx answer fails until the bridge is restarted");
				self.flushed.send_modify(|f| f.error = Some(error));
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

impl Drop for Inner {
	fn drop(&mut self) {
		// The flusher flushes what was written, then stops; the applier
		// applies it, makes the database durable once its senders are gone
		// and stops; only then is the log voided.
		if let Ok(mut state) = self.flush.state.lock() {
			state.stop = true;
			self.flush.wake.notify_one();
		}
		if let Some(thread) = self.flusher_thread.take() {
			let _ = thread.join();
		}
		self.applier.take();
		let durable = self.applier_thread.take().is_some_and(|t| t.join().unwrap_or(false));
		let flushed = self.flush.error().is_none();
		let log = self.log.get_mut();
		if durable && flushed && log.failed.is_none() && !log.wal.is_empty() {
			if let Err(e) = log.wal.reset() {
				tracing::error!(error = %e, "journal log reset at shutdown failed; the log is replayed at the next start");
			}
		}
	}
}

/// One stored audit record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRecord {
	/// Its sequence number.
	pub sequence: u64,
	/// Its realm.
	pub realm: RealmId,
	/// The record.
	pub record: Record,
}

fn next(meta: &impl ReadableTable<&'static str, u64>, key: &str) -> Result<u64, JournalError> {
	Ok(meta.get(key)?.map(|v| v.value()).unwrap_or(0))
}

/// How the journal is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalOptions {
	/// The write-ahead log's size when it is created.
	pub log_capacity: u64,
	/// When a record is durable, relative to its answer.
	pub sync: Sync,
	/// With [`Sync::WithAnswer`], the time between two `fdatasync`s while
	/// appends come ([`DEFAULT_FLUSH_INTERVAL`]): the most a power loss can
	/// lose. A shorter interval wakes the flusher and applier threads more
	/// often (each flush costs some 0.1-0.2 ms of CPU on this project's
	/// virtual machine, taken from the CSCFs when they share its cores).
	pub flush_interval: Duration,
}

impl Default for JournalOptions {
	fn default() -> Self {
		JournalOptions {
			log_capacity: DEFAULT_LOG_CAPACITY,
			sync: Sync::default(),
			flush_interval: DEFAULT_FLUSH_INTERVAL,
		}
	}
}

/// The log beside a journal database: `journal.redb` -> `journal.wal`.
pub fn log_path(path: &Path) -> std::path::PathBuf {
	path.with_extension("wal")
}

impl Journal {
	/// Opens (or creates) the journal at `path`, with its write-ahead log
	/// beside it ([`log_path`]), replays the log and starts the flusher and
	/// applier threads.
	pub fn open(path: &Path) -> Result<Journal, JournalError> {
		Self::open_with(path, JournalOptions::default())
	}

	/// [`Journal::open`] with other options.
	pub fn open_with(path: &Path, options: JournalOptions) -> Result<Journal, JournalError> {
		let db = Arc::new(Database::create(path)?);
		let (mut wal, frames) = Wal::open(&log_path(path), options.log_capacity)?;
		let mut state = {
			let mut txn = db.begin_write()?;
			txn.set_durability(Durability::Immediate)?;
			txn.open_table(AUDIT)?;
			txn.open_table(REGISTRATIONS)?;
			let state = {
				let meta = txn.open_table(META)?;
				Counters {
					sequence: next(&meta, NEXT_SEQUENCE)?,
					report: next(&meta, NEXT_REPORT)?,
					confirmed_sequence: next(&meta, CONFIRMED_SEQUENCE)?,
					confirmed_report: next(&meta, CONFIRMED_REPORT)?,
				}
			};
			txn.commit()?;
			state
		};
		if !frames.is_empty() {
			let mut entries = Vec::with_capacity(frames.len());
			for (i, bytes) in frames.iter().enumerate() {
				let frame = Frame::decode(&mut bytes.as_slice())
					.map_err(|_| JournalError::Corrupt(i as u64))?;
				entries.push(frame);
			}
			let replayed = entries.len();
			let mut txn = db.begin_write()?;
			txn.set_durability(Durability::Immediate)?;
			apply(&txn, &mut state, &entries, &[])?;
			txn.commit()?;
			tracing::info!(replayed, "journal log replayed");
		}
		// A new generation in any case: frames after a torn one are void.
		wal.reset()?;
		let numbers = (state.sequence, state.report);
		let delay = match options.sync {
			Sync::BeforeAnswer => Duration::ZERO,
			Sync::WithAnswer => options.flush_interval.min(MAX_FLUSH_INTERVAL),
		};
		let gather = APPLY_DELAY.saturating_sub(delay);
		let (applier, applier_rx) = mpsc::channel();
		let applier_db = db.clone();
		let applier_thread = std::thread::Builder::new()
			.name("journal-applier".into())
			.spawn(move || apply_loop(&applier_db, state, applier_rx, gather))
			.map_err(|e| JournalError::Storage(e.to_string()))?;
		let flush = Arc::new(Flush { delay, ..Flush::default() });
		let (flusher, file, to_applier) = (flush.clone(), wal.file(), applier.clone());
		let flusher_thread = std::thread::Builder::new()
			.name("journal-flush".into())
			.spawn(move || flusher.run(&file, &to_applier))
			.map_err(|e| JournalError::Storage(e.to_string()))?;
		let log = tokio::sync::Mutex::new(Log { wal, numbers, failed: None });
		let inner = Inner {
			sync: options.sync,
			log,
			flush,
			applier: Some(applier),
			flusher_thread: Some(flusher_thread),
			applier_thread: Some(applier_thread),
		};
		Ok(Journal { db, inner: Arc::new(inner) })
	}

	/// Appends `entries` together (one write, one flush); returns their
	/// numbers (audit sequence numbers, report numbers) once they are as
	/// durable as [`Sync`] asks.
	pub async fn append(&self, entries: Vec<Entry>) -> Result<Vec<u64>, JournalError> {
		if entries.is_empty() {
			// Nothing to write, and no ticket: the flusher only counts
			// appends that hand it frames.
			return Ok(Vec::new());
		}
		let inner = &*self.inner;
		let (ticket, numbers) = {
			let mut log = inner.log.lock().await;
			if log.failed.is_some() {
				return Err(JournalError::Stopped);
			}
			if let Some(error) = inner.flush.error() {
				return Err(log.fail(error));
			}
			let mut next = log.numbers;
			let frames: Vec<Frame> = entries
				.into_iter()
				.map(|entry| {
					let counter = match entry {
						Entry::Audit(..) => &mut next.0,
						Entry::Registration(_) => &mut next.1,
					};
					let number = *counter;
					*counter = counter.saturating_add(1);
					Frame { number, entry }
				})
				.collect();
			let payloads: Vec<Vec<u8>> = frames.iter().map(Encode::encode).collect();
			let len = Wal::frames_len(&payloads);
			if !log.wal.could_fit(len) {
				return Err(JournalError::Storage("an append larger than the journal log".into()));
			}
			if !log.wal.fits(len) {
				self.checkpoint(&mut log).await?;
			}
			if let Err(e) = log.wal.append(&payloads) {
				return Err(log.fail(e));
			}
			log.numbers = next;
			let numbers: Vec<u64> = frames.iter().map(|f| f.number).collect();
			match inner.flush.written(frames) {
				Ok(ticket) => (ticket, numbers),
				Err(e) => return Err(log.fail(e)),
			}
		};
		if inner.sync == Sync::BeforeAnswer {
			inner.flush.wait(ticket).await?;
		}
		Ok(numbers)
	}

	/// Has the applier make everything in the log durable in the database,
	/// then voids the log. Called with the log locked; a failure stops the
	/// journal (the log can no longer take appends).
	async fn checkpoint(&self, log: &mut Log) -> Result<(), JournalError> {
		let flushed = async {
			self.inner.flush.wait(self.inner.flush.last()?).await?;
			self.ask(Applied::Checkpoint).await
		};
		match flushed.await {
			Ok(()) => log.wal.reset().map_err(|e| log.fail(e)),
			Err(e) => Err(log.fail(e)),
		}
	}

	async fn ask(&self, op: impl FnOnce(Ack) -> Applied) -> Result<(), JournalError> {
		let (ack, done) = oneshot::channel();
		let applier = self.inner.applier.as_ref().ok_or(JournalError::Stopped)?;
		applier.send(op(ack)).map_err(|_| JournalError::Stopped)?;
		done.await.map_err(|_| JournalError::Stopped)?.map_err(JournalError::Storage)
	}

	/// The oldest audit records, at most `limit`.
	pub fn pending_audit(&self, limit: usize) -> Result<Vec<StoredRecord>, JournalError> {
		self.pending_audit_from(0, limit)
	}

	/// The oldest audit records numbered `from` or above, at most `limit`
	/// (those below are on their way to finality).
	pub fn pending_audit_from(
		&self,
		from: u64,
		limit: usize,
	) -> Result<Vec<StoredRecord>, JournalError> {
		let txn = self.db.begin_read()?;
		let table = txn.open_table(AUDIT)?;
		let mut out = Vec::new();
		for entry in table.range(from..)?.take(limit) {
			let (key, value) = entry?;
			let sequence = key.value();
			let (realm, record) = <(RealmId, Record)>::decode(&mut value.value())
				.map_err(|_| JournalError::Corrupt(sequence))?;
			out.push(StoredRecord { sequence, realm, record });
		}
		Ok(out)
	}

	/// The oldest registration reports, at most `limit`, with their numbers.
	pub fn pending_registrations(
		&self,
		limit: usize,
	) -> Result<Vec<(u64, RegistrationReport)>, JournalError> {
		let txn = self.db.begin_read()?;
		let table = txn.open_table(REGISTRATIONS)?;
		let mut out = Vec::new();
		for entry in table.iter()?.take(limit) {
			let (key, value) = entry?;
			let report = RegistrationReport::decode(&mut value.value())
				.map_err(|_| JournalError::Corrupt(key.value()))?;
			out.push((key.value(), report));
		}
		Ok(out)
	}

	/// Drops the audit records below `next_sequence` (recorded on chain) and
	/// makes sure new records are numbered from there at least. Durable
	/// when it returns.
	pub async fn confirm_audit(&self, next_sequence: u64) -> Result<(), JournalError> {
		{
			// Numbering resumes from the chain's if it is ahead.
			let mut log = self.inner.log.lock().await;
			log.numbers.0 = log.numbers.0.max(next_sequence);
		}
		self.ask(|ack| Applied::Confirm(Confirmation::Audit(next_sequence), ack)).await
	}

	/// Drops the registration reports numbered below `next`. Durable when
	/// it returns.
	pub async fn confirm_registrations(&self, next: u64) -> Result<(), JournalError> {
		self.ask(|ack| Applied::Confirm(Confirmation::Registrations(next), ack)).await
	}

	/// Waits until every append returned so far is visible to
	/// [`Journal::pending_audit`] and the other readers (they read the
	/// database, which the applier thread fills once the log is flushed).
	pub async fn settle(&self) -> Result<(), JournalError> {
		self.inner.flush.wait(self.inner.flush.last()?).await?;
		self.ask(Applied::Settle).await
	}

	/// Queue depths: (audit records, registration reports).
	pub fn depth(&self) -> Result<(u64, u64), JournalError> {
		let txn = self.db.begin_read()?;
		Ok((txn.open_table(AUDIT)?.len()?, txn.open_table(REGISTRATIONS)?.len()?))
	}

	/// The sequence number the next audit record gets.
	pub fn next_sequence(&self) -> Result<u64, JournalError> {
		let txn = self.db.begin_read()?;
		next(&txn.open_table(META)?, NEXT_SEQUENCE)
	}
}

/// The applier's numbering and confirmations, written with every batch.
struct Counters {
	sequence: u64,
	report: u64,
	confirmed_sequence: u64,
	confirmed_report: u64,
}

/// A confirmation: which queue, and the first number still pending.
#[derive(Clone, Copy)]
enum Confirmation {
	Audit(u64),
	Registrations(u64),
}

/// Writes numbered entries and confirmations into `txn`; entries below a
/// confirmation (replayed frames) are skipped.
fn apply(
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

/// The applier thread: moves what the log holds into the database in
/// batches (frames gather for `gather` after the first), without waiting
/// for the disk unless a confirmation or a checkpoint asks for it. Once
/// every sender is gone it makes the database durable and returns whether
/// all of the log is in it (then the log may be voided). After a failed
/// database write it applies nothing more and answers every confirmation,
/// settle and checkpoint with the error: the entries it could not store
/// are only in the log, which must then be replayed at the next start,
/// never voided.
fn apply_loop(
	db: &Database,
	mut state: Counters,
	rx: mpsc::Receiver<Applied>,
	gather: Duration,
) -> bool {
	let mut broken: Option<String> = None;
	// Entries stored since the last durable commit.
	let mut since_durable = 0usize;
	while let Ok(first) = rx.recv() {
		// Frames gather for a while; anything somebody waits for ends that.
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
		let mut frames = Vec::new();
		let mut confirmations = Vec::new();
		let mut waiting = Vec::new();
		let mut durable = false;
		for item in batch {
			match item {
				Applied::Frames(more) => frames.extend(more),
				Applied::Confirm(confirmation, ack) => {
					// A confirmation that moves nothing (the follower confirms
					// at every finalized block) costs no disk write.
					durable |= match confirmation {
						Confirmation::Audit(next) => next > state.confirmed_sequence,
						Confirmation::Registrations(next) => next > state.confirmed_report,
					};
					confirmations.push(confirmation);
					waiting.push(ack);
				},
				Applied::Settle(ack) => waiting.push(ack),
				Applied::Checkpoint(ack) => {
					durable = true;
					waiting.push(ack);
				},
			}
		}
		since_durable = since_durable.saturating_add(frames.len());
		durable |= since_durable >= DURABLE_EVERY;
		if durable {
			since_durable = 0;
		}
		if broken.is_none() {
			let applied = (|| {
				let mut txn = db.begin_write()?;
				txn.set_durability(if durable { Durability::Immediate } else { Durability::None })?;
				apply(&txn, &mut state, &frames, &confirmations)?;
				txn.commit()?;
				Ok::<(), JournalError>(())
			})();
			if let Err(e) = applied {
				tracing::error!(error = %e, "journal database write failed; the log keeps the entries until the bridge is restarted");
				broken = Some(e.to_string());
			}
		}
		for ack in waiting {
			let _ = ack.send(broken.clone().map_or(Ok(()), Err));
		}
	}
	if broken.is_some() {
		return false;
	}
	let durable = (|| {
		let mut txn = db.begin_write()?;
		txn.set_durability(Durability::Immediate)?;
		txn.commit()?;
		Ok::<(), JournalError>(())
	})();
	match durable {
		Ok(()) => true,
		Err(e) => {
			tracing::error!(error = %e, "journal database commit at shutdown failed; the log is replayed at the next start");
			false
		},
	}
}

/// One entry at a time, for the tests.
#[cfg(test)]
impl Journal {
	async fn append_one(&self, entry: Entry) -> Result<u64, JournalError> {
		self.append(vec![entry]).await?.first().copied().ok_or(JournalError::Stopped)
	}

	async fn audit(&self, realm: RealmId, record: Record) -> Result<u64, JournalError> {
		self.append_one(Entry::Audit(realm, record)).await
	}

	async fn registration(&self, report: RegistrationReport) -> Result<u64, JournalError> {
		self.append_one(Entry::Registration(report)).await
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use ims_primitives::audit::{Activity, Peer};
	use ims_primitives::{ImpiId, Subject, Token};

	fn record(result: u32) -> Record {
		FrontRecord {
			subject: Subject::Impi(ImpiId::repeat_byte(1)),
			peer: Peer::Diameter(Token::truncate_from(b"scscf.ims.test".to_vec())),
			activity: Activity::UserAuthorization,
			result,
			at_ms: 1,
		}
	}

	fn report(byte: u8) -> RegistrationReport {
		RegistrationReport {
			impu: ImpuId::repeat_byte(byte),
			state: RegistrationState::Registered,
			scscf: Some(Name::truncate_from(b"sip:scscf".to_vec())),
		}
	}

	const MODES: [Sync; 2] = [Sync::BeforeAnswer, Sync::WithAnswer];

	#[tokio::test(flavor = "multi_thread")]
	async fn appends_are_numbered_durable_and_replayed_after_a_restart() {
		for sync in MODES {
			appends_are_numbered_durable_and_replayed(sync).await;
		}
	}

	async fn appends_are_numbered_durable_and_replayed(sync: Sync) {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		{
			let journal =
				Journal::open_with(&path, JournalOptions { sync, ..Default::default() }).unwrap();
			// Many concurrent appends: contiguous numbers, one each.
			let mut tasks = Vec::new();
			for i in 0..200 {
				let journal = journal.clone();
				tasks.push(tokio::spawn(async move { journal.audit(1, record(i)).await.unwrap() }));
			}
			let mut numbers = Vec::new();
			for t in tasks {
				numbers.push(t.await.unwrap());
			}
			numbers.sort();
			assert_eq!(numbers, (0..200).collect::<Vec<u64>>());
			assert_eq!(journal.registration(report(2)).await.unwrap(), 0);
		}
		// A clean shutdown applied everything and voided the log.
		let (_, frames) = Wal::open(&log_path(&path), DEFAULT_LOG_CAPACITY).unwrap();
		assert!(frames.is_empty());
		// Reopened (a restart): everything is still there.
		let journal = Journal::open(&path).unwrap();
		assert_eq!(journal.depth().unwrap(), (200, 1));
		let pending = journal.pending_audit(10).unwrap();
		assert_eq!(pending.len(), 10);
		assert_eq!(pending[0].sequence, 0);
		assert_eq!(pending[3].realm, 1);
		// Those from 120 on (the ones below are on their way to finality).
		let later = journal.pending_audit_from(120, 10).unwrap();
		assert_eq!(
			later.iter().map(|r| r.sequence).collect::<Vec<_>>(),
			(120..130).collect::<Vec<_>>()
		);
		assert!(journal.pending_audit_from(200, 10).unwrap().is_empty());
		// The chain says 150 were recorded.
		journal.confirm_audit(150).await.unwrap();
		assert_eq!(journal.pending_audit(1000).unwrap().first().map(|r| r.sequence), Some(150));
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 200);
		journal.confirm_registrations(1).await.unwrap();
		journal.settle().await.unwrap();
		assert_eq!(journal.depth().unwrap(), (51, 0));
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn entries_appended_together_are_numbered_and_stored_together() {
		for sync in MODES {
			let dir = tempfile::tempdir().unwrap();
			let path = dir.path().join("journal.redb");
			let journal =
				Journal::open_with(&path, JournalOptions { sync, ..Default::default() }).unwrap();
			let together = vec![
				Entry::Registration(report(2)),
				Entry::Audit(1, record(1)),
				Entry::Audit(2, record(2)),
			];
			assert_eq!(journal.append(together).await.unwrap(), vec![0, 0, 1]);
			let more = vec![Entry::Audit(1, record(3)), Entry::Registration(report(3))];
			assert_eq!(journal.append(more).await.unwrap(), vec![2, 1]);
			assert_eq!(journal.append(Vec::new()).await.unwrap(), Vec::<u64>::new());
			journal.settle().await.unwrap();
			assert_eq!(journal.depth().unwrap(), (3, 2));
			let pending = journal.pending_audit(10).unwrap();
			assert_eq!(
				pending.iter().map(|r| (r.sequence, r.realm, r.record.result)).collect::<Vec<_>>(),
				vec![(0, 1, 1), (1, 2, 2), (2, 1, 3)]
			);
			assert_eq!(
				journal.pending_registrations(10).unwrap(),
				vec![(0, report(2)), (1, report(3))]
			);
		}
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn before_answer_returns_only_once_flushed() {
		let dir = tempfile::tempdir().unwrap();
		let options = JournalOptions { sync: Sync::BeforeAnswer, ..Default::default() };
		let journal = Journal::open_with(&dir.path().join("journal.redb"), options).unwrap();
		for i in 0..20 {
			journal.audit(1, record(i)).await.unwrap();
			// The flusher's watermark covers every append returned so far.
			let last = journal.inner.flush.last().unwrap();
			assert_eq!(last, u64::from(i) + 1);
			assert!(journal.inner.flush.flushed.borrow().through >= last);
		}
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn with_answer_flushes_once_an_interval_while_appends_come() {
		let dir = tempfile::tempdir().unwrap();
		let interval = Duration::from_millis(200);
		let options = JournalOptions {
			sync: Sync::WithAnswer,
			flush_interval: interval,
			..Default::default()
		};
		let journal = Journal::open_with(&dir.path().join("journal.redb"), options).unwrap();
		let flushed = || {
			let flushed = journal.inner.flush.flushed.borrow();
			(flushed.through, flushed.flushes)
		};
		let flushed_through = |ticket: u64| async move {
			let deadline = Instant::now() + Duration::from_secs(10);
			while flushed().0 < ticket {
				assert!(Instant::now() < deadline, "append {ticket} never flushed");
				tokio::time::sleep(Duration::from_millis(5)).await;
			}
		};
		// Given an idle journal, when a record is appended,
		let appended = Instant::now();
		journal.audit(1, record(0)).await.unwrap();
		// then it is in the file at once and flushed one interval later.
		tokio::time::sleep(Duration::from_millis(50)).await;
		assert_eq!(flushed(), (0, 0));
		flushed_through(1).await;
		assert!(appended.elapsed() >= interval, "flushed after {:?}", appended.elapsed());
		assert_eq!(flushed().1, 1);
		// When records come every 10 ms for a second,
		let (_, before) = flushed();
		let started = Instant::now();
		for i in 1..=100 {
			journal.audit(1, record(i)).await.unwrap();
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
		flushed_through(101).await;
		// then the log is flushed about once an interval, not once a record.
		let took = started.elapsed().as_secs_f64();
		let flushes = flushed().1 - before;
		let most = (took / interval.as_secs_f64()).ceil() as u64 + 2;
		assert!((1..=most).contains(&flushes), "{flushes} flushes in {took:.2} s");
		// A settle returns once everything appended is flushed and stored.
		journal.audit(1, record(101)).await.unwrap();
		journal.settle().await.unwrap();
		assert_eq!(flushed().0, 102);
		assert_eq!(journal.depth().unwrap(), (102, 0));
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn an_append_larger_than_the_log_is_refused_and_the_journal_goes_on() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		// Room for some 4 KiB of frames: 200 records do not fit even empty.
		let options =
			JournalOptions { log_capacity: 2 * 4096, sync: Sync::WithAnswer, ..Default::default() };
		let journal = Journal::open_with(&path, options).unwrap();
		let huge = (0..200).map(|i| Entry::Audit(1, record(i))).collect();
		match journal.append(huge).await {
			Err(JournalError::Storage(e)) => assert!(e.contains("larger than the journal log")),
			other => panic!("{other:?}"),
		}
		// No number was given out, and appends still work.
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 0);
		journal.settle().await.unwrap();
		assert_eq!(journal.depth().unwrap(), (1, 0));
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn numbering_resumes_from_the_chain_when_it_is_ahead() {
		let dir = tempfile::tempdir().unwrap();
		let journal = Journal::open(&dir.path().join("journal.redb")).unwrap();
		// A bridge whose journal was lost: the chain already holds 1000.
		journal.confirm_audit(1000).await.unwrap();
		assert_eq!(journal.next_sequence().unwrap(), 1000);
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 1000);
		// A lower confirmation never moves numbering back.
		journal.confirm_audit(10).await.unwrap();
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 1001);
	}
	fn write_frames(path: &Path, frames: &[Frame]) {
		let (mut wal, _) = Wal::open(&log_path(path), DEFAULT_LOG_CAPACITY).unwrap();
		wal.append(&frames.iter().map(Encode::encode).collect::<Vec<_>>()).unwrap();
		wal.sync().unwrap();
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn what_reached_the_log_before_a_crash_is_replayed() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		drop(Journal::open(&path).unwrap());
		// A crash after the log's fdatasync, before the database saw them.
		let report = RegistrationReport {
			impu: ImpuId::repeat_byte(3),
			state: RegistrationState::Unregistered,
			scscf: None,
		};
		write_frames(
			&path,
			&[
				Frame { number: 0, entry: Entry::Audit(1, record(7)) },
				Frame { number: 0, entry: Entry::Registration(report.clone()) },
				Frame { number: 1, entry: Entry::Audit(2, record(8)) },
			],
		);
		let journal = Journal::open(&path).unwrap();
		assert_eq!(journal.depth().unwrap(), (2, 1));
		let pending = journal.pending_audit(10).unwrap();
		assert_eq!((pending[1].sequence, pending[1].realm), (1, 2));
		assert_eq!(pending[1].record, record(8));
		assert_eq!(journal.pending_registrations(10).unwrap(), vec![(0, report)]);
		// Numbering goes on after the replayed records; a second open
		// replays nothing twice.
		assert_eq!(journal.audit(1, record(9)).await.unwrap(), 2);
		drop(journal);
		let journal = Journal::open(&path).unwrap();
		assert_eq!(journal.depth().unwrap(), (3, 1));
		assert_eq!(journal.next_sequence().unwrap(), 3);
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn replayed_frames_never_bring_back_confirmed_entries() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		let journal = Journal::open(&path).unwrap();
		for i in 0..3 {
			assert_eq!(journal.audit(1, record(i)).await.unwrap(), u64::from(i));
		}
		journal.confirm_audit(2).await.unwrap();
		drop(journal);
		// A crash between a checkpoint's commit and the log's reset: the log
		// still holds records the chain has confirmed.
		write_frames(
			&path,
			&(0..3)
				.map(|i| Frame { number: i, entry: Entry::Audit(1, record(i as u32)) })
				.collect::<Vec<_>>(),
		);
		let journal = Journal::open(&path).unwrap();
		let pending = journal.pending_audit(10).unwrap();
		assert_eq!(pending.iter().map(|r| r.sequence).collect::<Vec<_>>(), vec![2]);
		assert_eq!(journal.next_sequence().unwrap(), 3);
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn a_full_log_is_checkpointed_and_nothing_is_lost() {
		for sync in MODES {
			a_full_log_is_checkpointed(sync).await;
		}
	}

	async fn a_full_log_is_checkpointed(sync: Sync) {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		// Room for a few dozen records: many checkpoints on the way.
		let options = JournalOptions { log_capacity: 3 * 4096, sync, ..Default::default() };
		let journal = Journal::open_with(&path, options).unwrap();
		let mut tasks = Vec::new();
		for i in 0..500 {
			let journal = journal.clone();
			tasks.push(tokio::spawn(async move { journal.audit(1, record(i)).await.unwrap() }));
		}
		for t in tasks {
			t.await.unwrap();
		}
		drop(journal);
		let journal = Journal::open(&path).unwrap();
		let pending = journal.pending_audit(1000).unwrap();
		assert_eq!(
			pending.iter().map(|r| r.sequence).collect::<Vec<_>>(),
			(0..500).collect::<Vec<_>>()
		);
	}
}
