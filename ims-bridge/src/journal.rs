//! The durable queue of what the bridge owes the chain: an audit record
//! for every Cx transaction, and the registration state its SARs set.
//!
//! Appends are group-committed by one writer thread: it takes every append
//! waiting, numbers them, writes them to the write-ahead log ([`wal`]: one
//! `fdatasync` of the group's few hundred bytes per record) and
//! acknowledges them; a Cx answer is sent only after its record is
//! acknowledged, so a crash can lose an answer but never a record of one.
//! The writer then applies the group to a redb database without waiting
//! for the disk (`Durability::None`), where the submitter reads it; a
//! checkpoint (a durable redb commit, then a new log generation) follows
//! every confirmation, a nearly full log, and the last append before
//! shutdown. Opening the journal replays the log's frames into the
//! database, so what was acknowledged is there after any crash.
//!
//! Where the answer waits is the operator's choice ([`Sync`]): for the
//! `fdatasync` (the default: nothing answered is lost even by a power
//! loss), or only for the write to the file (nothing is lost by a crash of
//! the bridge; a power loss can lose the last milliseconds), which takes
//! the disk's flush latency out of every answer.
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
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
pub use wal::Sync;
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
/// Appends written in one group at most.
const GROUP_LIMIT: usize = 4096;
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
	/// The writer thread is gone (shutdown or a fatal storage error).
	#[error("the journal writer has stopped")]
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

/// One entry as the log holds it, with the number it was given.
#[derive(Encode, Decode)]
enum Append {
	Audit(RealmId, Record),
	Registration(RegistrationReport),
}

#[derive(Encode, Decode)]
struct Frame {
	number: u64,
	entry: Append,
}

type AppendAck = oneshot::Sender<Result<u64, String>>;
type ConfirmAck = oneshot::Sender<Result<(), String>>;

/// What callers ask of the writer thread.
enum Op {
	Append(Append, AppendAck),
	Confirm(Confirmation, ConfirmAck),
	Settle(ConfirmAck),
}

/// What the writer hands the applier thread, in order.
enum Applied {
	/// Durable in the log: into the database.
	Frames(Vec<Frame>),
	/// A confirmation, durable when acknowledged.
	Confirm(Confirmation, ConfirmAck),
	/// Acknowledged once everything before it is in the database.
	Settle(ConfirmAck),
	/// Everything before it made durable in the database (the log is then
	/// reset by the writer).
	Checkpoint(ConfirmAck),
}

/// The journal. Cheap to clone; the writer stops (after its current
/// group and a checkpoint) when the last clone is dropped.
#[derive(Clone)]
pub struct Journal {
	db: Arc<Database>,
	writer: Arc<Writer>,
}

struct Writer {
	tx: Option<mpsc::UnboundedSender<Op>>,
	thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Writer {
	fn drop(&mut self) {
		self.tx.take();
		if let Some(thread) = self.thread.take() {
			let _ = thread.join();
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
}

impl Default for JournalOptions {
	fn default() -> Self {
		JournalOptions { log_capacity: DEFAULT_LOG_CAPACITY, sync: Sync::BeforeAnswer }
	}
}

/// The log beside a journal database: `journal.redb` -> `journal.wal`.
pub fn log_path(path: &Path) -> std::path::PathBuf {
	path.with_extension("wal")
}

impl Journal {
	/// Opens (or creates) the journal at `path`, with its write-ahead log
	/// beside it ([`log_path`]), replays the log and starts the writer.
	pub fn open(path: &Path) -> Result<Journal, JournalError> {
		Self::open_with(path, JournalOptions::default())
	}

	/// [`Journal::open`] with other options.
	pub fn open_with(path: &Path, options: JournalOptions) -> Result<Journal, JournalError> {
		let db = Arc::new(Database::create(path)?);
		let (mut wal, frames) = Wal::open(&log_path(path), options.log_capacity, options.sync)?;
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
		let (tx, rx) = mpsc::unbounded_channel();
		let (to_applier, applier_rx) = std::sync::mpsc::channel();
		let numbers = (state.sequence, state.report);
		let applier_db = db.clone();
		let applier = std::thread::Builder::new()
			.name("journal-applier".into())
			.spawn(move || applier(&applier_db, state, applier_rx))
			.map_err(|e| JournalError::Storage(e.to_string()))?;
		let thread = std::thread::Builder::new()
			.name("journal-writer".into())
			.spawn(move || writer(wal, numbers, rx, to_applier, applier))
			.map_err(|e| JournalError::Storage(e.to_string()))?;
		Ok(Journal { db, writer: Arc::new(Writer { tx: Some(tx), thread: Some(thread) }) })
	}

	fn send(&self, op: Op) -> Result<(), JournalError> {
		let tx = self.writer.tx.as_ref().ok_or(JournalError::Stopped)?;
		tx.send(op).map_err(|_| JournalError::Stopped)
	}

	async fn append(&self, entry: Append) -> Result<u64, JournalError> {
		let (ack, done) = oneshot::channel();
		self.send(Op::Append(entry, ack))?;
		done.await.map_err(|_| JournalError::Stopped)?.map_err(JournalError::Storage)
	}

	/// Appends an audit record; returns its sequence number once durable.
	pub async fn audit(&self, realm: RealmId, record: Record) -> Result<u64, JournalError> {
		self.append(Append::Audit(realm, record)).await
	}

	/// Appends a registration report; returns its number once durable.
	pub async fn registration(&self, report: RegistrationReport) -> Result<u64, JournalError> {
		self.append(Append::Registration(report)).await
	}

	/// The oldest audit records, at most `limit`.
	pub fn pending_audit(&self, limit: usize) -> Result<Vec<StoredRecord>, JournalError> {
		let txn = self.db.begin_read()?;
		let table = txn.open_table(AUDIT)?;
		let mut out = Vec::new();
		for entry in table.iter()?.take(limit) {
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

	async fn confirm(&self, op: impl FnOnce(ConfirmAck) -> Op) -> Result<(), JournalError> {
		let (ack, done) = oneshot::channel();
		self.send(op(ack))?;
		done.await.map_err(|_| JournalError::Stopped)?.map_err(JournalError::Storage)
	}

	/// Drops the audit records below `next_sequence` (recorded on chain) and
	/// makes sure new records are numbered from there at least. Durable
	/// when it returns.
	pub async fn confirm_audit(&self, next_sequence: u64) -> Result<(), JournalError> {
		self.confirm(|ack| Op::Confirm(Confirmation::Audit(next_sequence), ack)).await
	}

	/// Drops the registration reports numbered below `next`. Durable when
	/// it returns.
	pub async fn confirm_registrations(&self, next: u64) -> Result<(), JournalError> {
		self.confirm(|ack| Op::Confirm(Confirmation::Registrations(next), ack)).await
	}

	/// Waits until every append acknowledged so far is visible to
	/// [`Journal::pending_audit`] and the other readers (they read the
	/// database, which the applier thread fills shortly after the log).
	pub async fn settle(&self) -> Result<(), JournalError> {
		self.confirm(Op::Settle).await
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

/// The writer's numbering, kept in memory and written with every group.
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
			Append::Audit(realm, record) => {
				state.sequence = state.sequence.max(number.saturating_add(1));
				if *number >= state.confirmed_sequence {
					audit.insert(number, (realm, record).encode().as_slice())?;
				}
			},
			Append::Registration(report) => {
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

/// The writer thread: group commit to the log until every sender is gone,
/// then a last checkpoint.
fn writer(
	mut wal: Wal,
	mut numbers: (u64, u64),
	mut rx: mpsc::UnboundedReceiver<Op>,
	applier: std::sync::mpsc::Sender<Applied>,
	applier_thread: std::thread::JoinHandle<()>,
) {
	while let Some(first) = rx.blocking_recv() {
		let mut group = vec![first];
		while group.len() < GROUP_LIMIT {
			match rx.try_recv() {
				Ok(more) => group.push(more),
				Err(_) => break,
			}
		}
		if let Err(e) = write_group(&mut wal, &mut numbers, group, &applier) {
			// A failed write or flush leaves the log's tail unknown: no
			// further number may be given out (the chain refuses gaps and
			// a replay must not meet two records under one number). Every
			// append from now on fails; a restart replays what is durable.
			tracing::error!(error = %e, "journal write failed; the journal stops and every Cx answer fails until the bridge is restarted");
			return stop(applier, applier_thread);
		}
	}
	if !wal.is_empty() {
		if let Err(e) = checkpoint(&mut wal, &applier) {
			tracing::error!(error = %e, "journal checkpoint at shutdown failed; the log is replayed at the next start");
		}
	}
	stop(applier, applier_thread);
}

fn stop(applier: std::sync::mpsc::Sender<Applied>, thread: std::thread::JoinHandle<()>) {
	drop(applier);
	let _ = thread.join();
}

/// Has the applier make everything before it durable, then voids the log.
fn checkpoint(
	wal: &mut Wal,
	applier: &std::sync::mpsc::Sender<Applied>,
) -> Result<(), JournalError> {
	let (ack, done) = oneshot::channel();
	applier.send(Applied::Checkpoint(ack)).map_err(|_| JournalError::Stopped)?;
	done.blocking_recv().map_err(|_| JournalError::Stopped)?.map_err(JournalError::Storage)?;
	wal.reset()?;
	Ok(())
}

fn write_group(
	wal: &mut Wal,
	numbers: &mut (u64, u64),
	group: Vec<Op>,
	applier: &std::sync::mpsc::Sender<Applied>,
) -> Result<(), JournalError> {
	let mut frames = Vec::new();
	let mut acks = Vec::new();
	let mut controls = Vec::new();
	for op in group {
		match op {
			Op::Append(entry, ack) => {
				let counter = match entry {
					Append::Audit(..) => &mut numbers.0,
					Append::Registration(_) => &mut numbers.1,
				};
				frames.push(Frame { number: *counter, entry });
				*counter = counter.saturating_add(1);
				acks.push(ack);
			},
			Op::Confirm(confirmation, ack) => {
				if let Confirmation::Audit(next) = confirmation {
					// Numbering resumes from the chain's if it is ahead.
					numbers.0 = numbers.0.max(next);
				}
				controls.push(Applied::Confirm(confirmation, ack));
			},
			Op::Settle(ack) => controls.push(Applied::Settle(ack)),
		}
	}
	let payloads: Vec<Vec<u8>> = frames.iter().map(Encode::encode).collect();
	let numbered: Vec<u64> = frames.iter().map(|f| f.number).collect();
	let result = match log(wal, frames, &payloads, applier) {
		Ok(rest) => {
			for (ack, number) in acks.into_iter().zip(numbered) {
				let _ = ack.send(Ok(number));
			}
			if !rest.is_empty() {
				applier.send(Applied::Frames(rest)).map_err(|_| JournalError::Stopped)?;
			}
			Ok(())
		},
		Err(e) => {
			for ack in acks {
				let _ = ack.send(Err(e.to_string()));
			}
			Err(e)
		},
	};
	for control in controls {
		applier.send(control).map_err(|_| JournalError::Stopped)?;
	}
	result
}

/// Writes the frames to the log, in as many runs as its room requires with
/// a checkpoint between them (the runs before a checkpoint go to the
/// applier first); returns the frames not yet handed to the applier.
fn log(
	wal: &mut Wal,
	mut pending: Vec<Frame>,
	payloads: &[Vec<u8>],
	applier: &std::sync::mpsc::Sender<Applied>,
) -> Result<Vec<Frame>, JournalError> {
	// payloads[handed..] are the frames still in `pending`.
	let sizes: Vec<u64> = payloads.iter().map(|p| Wal::frames_len(std::iter::once(p))).collect();
	let (mut start, mut handed) = (0, 0);
	while start < payloads.len() {
		let (mut end, mut len) = (start, 0);
		while let Some(&size) = sizes.get(end) {
			if !wal.fits(len + size) {
				break;
			}
			len += size;
			end += 1;
		}
		if end == start {
			if wal.is_empty() {
				return Err(JournalError::Storage("an entry larger than the journal log".into()));
			}
			let rest = pending.split_off(start - handed);
			let logged = std::mem::replace(&mut pending, rest);
			applier.send(Applied::Frames(logged)).map_err(|_| JournalError::Stopped)?;
			handed = start;
			checkpoint(wal, applier)?;
			continue;
		}
		wal.append(payloads.get(start..end).unwrap_or_default())?;
		start = end;
	}
	Ok(pending)
}

/// The applier thread: moves what the log holds into the database in
/// batches, without waiting for the disk unless a confirmation or a
/// checkpoint asks for it.
fn applier(db: &Database, mut state: Counters, rx: std::sync::mpsc::Receiver<Applied>) {
	while let Ok(first) = rx.recv() {
		let mut batch = vec![first];
		while batch.len() < GROUP_LIMIT {
			match rx.try_recv() {
				Ok(more) => batch.push(more),
				Err(_) => break,
			}
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
		let applied = (|| {
			let mut txn = db.begin_write()?;
			txn.set_durability(if durable { Durability::Immediate } else { Durability::None })?;
			apply(&txn, &mut state, &frames, &confirmations)?;
			txn.commit()?;
			Ok::<(), JournalError>(())
		})();
		if let Err(e) = &applied {
			tracing::error!(error = %e, "journal database write failed; the log keeps the entries");
		}
		for ack in waiting {
			let _ = ack.send(applied.as_ref().map(|_| ()).map_err(|e| e.to_string()));
		}
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

	#[tokio::test(flavor = "multi_thread")]
	async fn appends_are_numbered_durable_and_replayed_after_a_restart() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		{
			let journal = Journal::open(&path).unwrap();
			// Many concurrent appends: group commits, contiguous numbers.
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
			let report = RegistrationReport {
				impu: ImpuId::repeat_byte(2),
				state: RegistrationState::Registered,
				scscf: Some(Name::truncate_from(b"sip:scscf".to_vec())),
			};
			assert_eq!(journal.registration(report).await.unwrap(), 0);
		}
		// Reopened (a restart): everything is still there.
		let journal = Journal::open(&path).unwrap();
		assert_eq!(journal.depth().unwrap(), (200, 1));
		let pending = journal.pending_audit(10).unwrap();
		assert_eq!(pending.len(), 10);
		assert_eq!(pending[0].sequence, 0);
		assert_eq!(pending[3].realm, 1);
		// The chain says 150 were recorded.
		journal.confirm_audit(150).await.unwrap();
		assert_eq!(journal.pending_audit(1000).unwrap().first().map(|r| r.sequence), Some(150));
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 200);
		journal.confirm_registrations(1).await.unwrap();
		assert_eq!(journal.depth().unwrap(), (51, 0));
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
		let (mut wal, _) =
			Wal::open(&log_path(path), DEFAULT_LOG_CAPACITY, Sync::BeforeAnswer).unwrap();
		wal.append(&frames.iter().map(Encode::encode).collect::<Vec<_>>()).unwrap();
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
				Frame { number: 0, entry: Append::Audit(1, record(7)) },
				Frame { number: 0, entry: Append::Registration(report.clone()) },
				Frame { number: 1, entry: Append::Audit(2, record(8)) },
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
				.map(|i| Frame { number: i, entry: Append::Audit(1, record(i as u32)) })
				.collect::<Vec<_>>(),
		);
		let journal = Journal::open(&path).unwrap();
		let pending = journal.pending_audit(10).unwrap();
		assert_eq!(pending.iter().map(|r| r.sequence).collect::<Vec<_>>(), vec![2]);
		assert_eq!(journal.next_sequence().unwrap(), 3);
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn a_full_log_is_checkpointed_and_nothing_is_lost() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("journal.redb");
		// Room for a few dozen records: many checkpoints on the way.
		let options = JournalOptions { log_capacity: 3 * 4096, sync: Sync::WithAnswer };
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
