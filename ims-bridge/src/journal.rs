//! The durable queue of what the bridge owes the chain: an audit record
//! for every Cx transaction, and the registration state its SARs set.
//!
//! Appends are group-committed: one writer thread takes every append
//! waiting, writes them in one redb transaction and acknowledges them after
//! the commit (fsync). A Cx answer is sent only after its record is
//! acknowledged, so a crash can lose an answer but never a record of one.
//!
//! Audit records are numbered with this bridge's sequence numbers, which
//! the audit pallet checks (`NextSequence` per submitter): the submitter
//! reads the oldest records, sends them as batches, and deletes them once
//! their batch is finalized ([`Journal::confirm_audit`]). After a restart
//! the chain's `AuditApi::next_sequence` says where to resume; records
//! below it were recorded and are dropped, the rest are sent again.

use codec::{Decode, Encode};
use ims_primitives::audit::FrontRecord;
use ims_primitives::{ImpuId, Name, RealmId, RegistrationState};
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Audit records by sequence number: SCALE `(RealmId, FrontRecord)`.
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
/// Registration reports by local number: SCALE [`RegistrationReport`].
const REGISTRATIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("registrations");
/// Counters.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const NEXT_SEQUENCE: &str = "next-sequence";
const NEXT_REPORT: &str = "next-report";
/// Appends written in one transaction at most.
const GROUP_LIMIT: usize = 4096;

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
	redb::CommitError
);

enum Append {
	Audit(RealmId, Record),
	Registration(RegistrationReport),
}

type Ack = oneshot::Sender<Result<u64, String>>;

/// The journal. Cheap to clone; the writer stops (after its current
/// group) when the last clone is dropped.
#[derive(Clone)]
pub struct Journal {
	db: Arc<Database>,
	writer: Arc<Writer>,
}

struct Writer {
	tx: Option<mpsc::UnboundedSender<(Append, Ack)>>,
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

impl Journal {
	/// Opens (or creates) the journal at `path` and starts its writer.
	pub fn open(path: &Path) -> Result<Journal, JournalError> {
		let db = Arc::new(Database::create(path)?);
		{
			let txn = db.begin_write()?;
			txn.open_table(AUDIT)?;
			txn.open_table(REGISTRATIONS)?;
			txn.open_table(META)?;
			txn.commit()?;
		}
		let (tx, rx) = mpsc::unbounded_channel();
		let writer_db = db.clone();
		let thread = std::thread::Builder::new()
			.name("journal-writer".into())
			.spawn(move || writer(writer_db, rx))
			.map_err(|e| JournalError::Storage(e.to_string()))?;
		Ok(Journal { db, writer: Arc::new(Writer { tx: Some(tx), thread: Some(thread) }) })
	}

	async fn append(&self, entry: Append) -> Result<u64, JournalError> {
		let (ack, done) = oneshot::channel();
		let tx = self.writer.tx.as_ref().ok_or(JournalError::Stopped)?;
		tx.send((entry, ack)).map_err(|_| JournalError::Stopped)?;
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

	/// Drops the audit records below `next_sequence` (recorded on chain) and
	/// makes sure new records are numbered from there at least.
	pub fn confirm_audit(&self, next_sequence: u64) -> Result<(), JournalError> {
		let txn = self.db.begin_write()?;
		{
			let mut table = txn.open_table(AUDIT)?;
			table.retain_in(..next_sequence, |_, _| false)?;
			let mut meta = txn.open_table(META)?;
			if next(&meta, NEXT_SEQUENCE)? < next_sequence {
				meta.insert(NEXT_SEQUENCE, next_sequence)?;
			}
		}
		txn.commit()?;
		Ok(())
	}

	/// Drops the registration reports numbered below `next`.
	pub fn confirm_registrations(&self, next: u64) -> Result<(), JournalError> {
		let txn = self.db.begin_write()?;
		txn.open_table(REGISTRATIONS)?.retain_in(..next, |_, _| false)?;
		txn.commit()?;
		Ok(())
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

/// The writer thread: group commit until every sender is gone.
fn writer(db: Arc<Database>, mut rx: mpsc::UnboundedReceiver<(Append, Ack)>) {
	while let Some(first) = rx.blocking_recv() {
		let mut group = vec![first];
		while group.len() < GROUP_LIMIT {
			match rx.try_recv() {
				Ok(more) => group.push(more),
				Err(_) => break,
			}
		}
		match write_group(&db, &group) {
			Ok(numbers) => {
				for ((_, ack), number) in group.into_iter().zip(numbers) {
					let _ = ack.send(Ok(number));
				}
			},
			Err(e) => {
				tracing::error!(error = %e, "journal write failed; the answers wait on it fail");
				for (_, ack) in group {
					let _ = ack.send(Err(e.to_string()));
				}
			},
		}
	}
}

fn write_group(db: &Database, group: &[(Append, Ack)]) -> Result<Vec<u64>, JournalError> {
	let txn = db.begin_write()?;
	let mut numbers = Vec::with_capacity(group.len());
	{
		let mut audit = txn.open_table(AUDIT)?;
		let mut registrations = txn.open_table(REGISTRATIONS)?;
		let mut meta = txn.open_table(META)?;
		let mut sequence = next(&meta, NEXT_SEQUENCE)?;
		let mut report = next(&meta, NEXT_REPORT)?;
		for (entry, _) in group {
			match entry {
				Append::Audit(realm, record) => {
					audit.insert(sequence, (realm, record).encode().as_slice())?;
					numbers.push(sequence);
					sequence = sequence.saturating_add(1);
				},
				Append::Registration(r) => {
					registrations.insert(report, r.encode().as_slice())?;
					numbers.push(report);
					report = report.saturating_add(1);
				},
			}
		}
		meta.insert(NEXT_SEQUENCE, sequence)?;
		meta.insert(NEXT_REPORT, report)?;
	}
	txn.commit()?;
	Ok(numbers)
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
		journal.confirm_audit(150).unwrap();
		assert_eq!(journal.pending_audit(1000).unwrap().first().map(|r| r.sequence), Some(150));
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 200);
		journal.confirm_registrations(1).unwrap();
		assert_eq!(journal.depth().unwrap(), (51, 0));
	}

	#[tokio::test(flavor = "multi_thread")]
	async fn numbering_resumes_from_the_chain_when_it_is_ahead() {
		let dir = tempfile::tempdir().unwrap();
		let journal = Journal::open(&dir.path().join("journal.redb")).unwrap();
		// A bridge whose journal was lost: the chain already holds 1000.
		journal.confirm_audit(1000).unwrap();
		assert_eq!(journal.next_sequence().unwrap(), 1000);
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 1000);
		// A lower confirmation never moves numbering back.
		journal.confirm_audit(10).unwrap();
		assert_eq!(journal.audit(1, record(0)).await.unwrap(), 1001);
	}
}
