//! The durable queue of what the bridge owes the chain: an audit record
//! for every Cx transaction, and the registration state its SARs set,
//! appended before the answer is sent. The design (the write-ahead log,
//! the flusher's group commit, the applier, replay and failure) is in
//! `docs/journal.md`.
//!
//! - `wal`: the write-ahead log file, written through a mapping.
//! - `flush`: the flusher thread (`fdatasync`, group commit).
//! - `apply`: the applier thread (the redb database the submitter reads).
//! - `pressure`: the high-water marks of backlog and free space.
//!
//! Where the answer waits is the operator's choice ([`Sync`]); entries
//! appended together ([`Journal::append`]: a SAR's registration report and
//! audit record) are written and flushed together.

mod apply;
mod error;
mod flush;
mod pressure;
mod wal;

pub use error::JournalError;
pub use pressure::{Limits, Refusal};

use apply::{apply, apply_loop, Ack, Applied, Confirmation, Counters, APPLY_DELAY};
use codec::{Decode, Encode};
use flush::Flush;
use ims_primitives::audit::FrontRecord;
use ims_primitives::{ImpuId, Name, RealmId, RegistrationState};
use pressure::Pressure;
use redb::{
	Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
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
/// With [`Sync::WithAnswer`], the default time between two `fdatasync`s of
/// the log while appends come (unless a checkpoint, `settle` or shutdown
/// asks sooner): the most a power loss can lose, besides the flush itself.
/// Answers never wait for it. Each flush wakes the flusher and the applier
/// threads, which on a machine shared with the CSCFs takes CPU from them:
/// see [`JournalOptions::flush_interval`].
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_millis(20);
/// The longest flush interval a configuration may ask for.
pub const MAX_FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// The write-ahead log's size: 16 MiB, some 80,000 audit records between
/// checkpoints.
pub const DEFAULT_LOG_CAPACITY: u64 = 16 << 20;
/// The database's cache of file pages: the journal is a queue, written at
/// one end and read at the other, so redb's default of 1 GiB would only
/// keep a large backlog in memory twice (`docs/journal.md`).
const PAGE_CACHE_BYTES: usize = 32 << 20;

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
	pressure: Pressure,
	/// Cancelled once a failed write stopped the journal.
	stopped: CancellationToken,
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
	/// Hears when the half the appends last left is voided.
	spare: Option<oneshot::Receiver<Result<(), Arc<JournalError>>>>,
	/// The next audit sequence number and registration report number.
	numbers: (u64, u64),
	/// Why the journal stopped: after a failed write the log's tail is
	/// unknown, so no further number may be given out (the chain refuses
	/// gaps, and a replay must not meet two records under one number).
	/// Every append fails from then on; a restart replays what is durable.
	failed: Option<Arc<JournalError>>,
	/// Cancelled once the journal stopped (here, or in the applier).
	stopped: CancellationToken,
}

impl Log {
	/// Stops the journal for `error` (the first one is logged and kept) and
	/// returns the error for the caller.
	fn fail(&mut self, error: impl Into<Arc<JournalError>>) -> JournalError {
		let error = error.into();
		if self.failed.is_none() {
			tracing::error!(%error, "journal write failed; the journal stops and every Cx answer fails until the bridge is restarted");
			self.failed = Some(error.clone());
			self.stopped.cancel();
		}
		JournalError::Failed(error)
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
	/// The high-water marks above which appends are refused.
	pub limits: Limits,
}

impl Default for JournalOptions {
	fn default() -> Self {
		JournalOptions {
			log_capacity: DEFAULT_LOG_CAPACITY,
			sync: Sync::default(),
			flush_interval: DEFAULT_FLUSH_INTERVAL,
			limits: Limits::default(),
		}
	}
}

/// The log beside a journal database: `journal.redb` -> `journal.wal`.
pub fn log_path(path: &Path) -> std::path::PathBuf {
	path.with_extension("wal")
}

/// The frames the write-ahead log at `path` holds, as a replay reads them
/// (a log file too small to hold two halves is an error). For the fuzz
/// target `ims-bridge/fuzz/fuzz_targets/wal.rs`; the journal replays
/// through [`Journal::open`].
#[doc(hidden)]
pub fn read_log(path: &Path) -> std::io::Result<Vec<Vec<u8>>> {
	Wal::open(path, DEFAULT_LOG_CAPACITY).map(|(_, frames)| frames)
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
		let db = Arc::new(Database::builder().set_cache_size(PAGE_CACHE_BYTES).create(path)?);
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
		let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
		let confirmed = (state.confirmed_sequence, state.confirmed_report);
		let pressure = Pressure::new(options.limits, dir.to_path_buf(), numbers, confirmed);
		let delay = match options.sync {
			Sync::BeforeAnswer => Duration::ZERO,
			Sync::WithAnswer => options.flush_interval.min(MAX_FLUSH_INTERVAL),
		};
		let gather = APPLY_DELAY.saturating_sub(delay);
		let (applier, applier_rx) = mpsc::channel();
		let applier_db = db.clone();
		let stopped = CancellationToken::new();
		let applier_stopped = stopped.clone();
		let applier_thread = std::thread::Builder::new()
			.name("journal-applier".into())
			.spawn(move || apply_loop(&applier_db, state, applier_rx, gather, &applier_stopped))
			.map_err(JournalError::Thread)?;
		let flush = Arc::new(Flush { delay, ..Flush::default() });
		let (flusher, file, to_applier) = (flush.clone(), wal.file(), applier.clone());
		let flusher_thread = std::thread::Builder::new()
			.name("journal-flush".into())
			.spawn(move || flusher.run(&file, &to_applier))
			.map_err(JournalError::Thread)?;
		let log = Log { wal, numbers, spare: None, failed: None, stopped: stopped.clone() };
		let log = tokio::sync::Mutex::new(log);
		let inner = Inner {
			sync: options.sync,
			pressure,
			stopped,
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
			// Stopped here, or by the applier's failed write.
			if log.failed.is_some() || inner.stopped.is_cancelled() {
				return Err(JournalError::Stopped);
			}
			inner.pressure.admit()?;
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
				return Err(JournalError::TooLarge { bytes: len });
			}
			if !log.wal.fits(len) {
				self.turn(&mut log).await?;
			}
			if let Err(e) = log.wal.append(&payloads) {
				return Err(log.fail(JournalError::Log(e)));
			}
			log.numbers = next;
			inner.pressure.appended.0.store(next.0, Ordering::Release);
			inner.pressure.appended.1.store(next.1, Ordering::Release);
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

	/// Moves the appends to the other half of the log, once it is voided
	/// (long before, unless a whole half filled meanwhile), and has the
	/// half they leave voided behind its frames (`docs/journal.md`, "Two
	/// halves"). Called with the log locked; a failure stops the journal.
	async fn turn(&self, log: &mut Log) -> Result<(), JournalError> {
		// Awaited in place and cleared only once heard: an append cancelled
		// here (its Cx task gone) leaves the wait to the next one.
		if let Some(voided) = log.spare.as_mut() {
			let heard = voided.await;
			log.spare = None;
			match heard {
				Ok(Ok(())) => log.wal.spare_voided(),
				Ok(Err(error)) => return Err(log.fail(error)),
				Err(_) => return Err(log.fail(JournalError::Stopped)),
			}
		}
		let void = log.wal.switch().map_err(|e| log.fail(JournalError::Log(e)))?;
		let (ack, voided) = oneshot::channel();
		self.inner.flush.void_after(void, ack).map_err(|e| log.fail(e))?;
		log.spare = Some(voided);
		Ok(())
	}

	async fn ask(&self, op: impl FnOnce(Ack) -> Applied) -> Result<(), JournalError> {
		let (ack, done) = oneshot::channel();
		let applier = self.inner.applier.as_ref().ok_or(JournalError::Stopped)?;
		applier.send(op(ack)).map_err(|_| JournalError::Stopped)?;
		done.await.map_err(|_| JournalError::Stopped)?.map_err(JournalError::Failed)
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

	/// The oldest registration reports numbered `from` or later, at most
	/// `limit`, with their numbers.
	pub fn pending_registrations_from(
		&self,
		from: u64,
		limit: usize,
	) -> Result<Vec<(u64, RegistrationReport)>, JournalError> {
		let txn = self.db.begin_read()?;
		let table = txn.open_table(REGISTRATIONS)?;
		let mut out = Vec::new();
		for entry in table.range(from..)?.take(limit) {
			let (key, value) = entry?;
			let report = RegistrationReport::decode(&mut value.value())
				.map_err(|_| JournalError::Corrupt(key.value()))?;
			out.push((key.value(), report));
		}
		Ok(out)
	}

	/// The oldest registration reports, at most `limit`, with their numbers.
	pub fn pending_registrations(
		&self,
		limit: usize,
	) -> Result<Vec<(u64, RegistrationReport)>, JournalError> {
		self.pending_registrations_from(0, limit)
	}

	/// Drops the audit records below `next_sequence` (recorded on chain) and
	/// makes sure new records are numbered from there at least. Durable
	/// when it returns.
	pub async fn confirm_audit(&self, next_sequence: u64) -> Result<(), JournalError> {
		{
			// Numbering resumes from the chain's if it is ahead.
			let mut log = self.inner.log.lock().await;
			log.numbers.0 = log.numbers.0.max(next_sequence);
			self.inner.pressure.appended.0.fetch_max(next_sequence, Ordering::AcqRel);
		}
		self.ask(|ack| Applied::Confirm(Confirmation::Audit(next_sequence), ack)).await?;
		self.inner.pressure.confirmed.0.fetch_max(next_sequence, Ordering::AcqRel);
		Ok(())
	}

	/// Drops the registration reports numbered below `next`. Durable when
	/// it returns.
	pub async fn confirm_registrations(&self, next: u64) -> Result<(), JournalError> {
		self.ask(|ack| Applied::Confirm(Confirmation::Registrations(next), ack)).await?;
		self.inner.pressure.confirmed.1.fetch_max(next, Ordering::AcqRel);
		Ok(())
	}

	/// Whether the journal takes appends now: `Err` above a high-water mark
	/// (`docs/journal.md`, "Pressure"). Cheap enough for every request.
	pub fn accepting(&self) -> Result<(), Refusal> {
		self.inner.pressure.admit()
	}

	/// Resolves once a failed write stopped the journal: it takes no more
	/// appends, and only a restart (which replays the log) brings it back.
	pub async fn stopped(&self) {
		self.inner.stopped.cancelled().await
	}

	/// Whether appends were refused at the last look.
	pub fn refusing(&self) -> bool {
		self.inner.pressure.refusing()
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
mod tests;
