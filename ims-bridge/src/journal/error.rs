//! What can go wrong in the journal.

use std::sync::Arc;

/// What went wrong in the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
	/// The database file cannot be opened or created.
	#[error("journal database: {0}")]
	Database(#[from] redb::DatabaseError),
	/// A transaction cannot begin.
	#[error("journal transaction: {0}")]
	Transaction(#[from] redb::TransactionError),
	/// A table cannot be opened.
	#[error("journal table: {0}")]
	Table(#[from] redb::TableError),
	/// Reading or writing the database failed.
	#[error("journal storage: {0}")]
	Storage(#[from] redb::StorageError),
	/// A transaction cannot commit.
	#[error("journal commit: {0}")]
	Commit(#[from] redb::CommitError),
	/// A transaction's durability cannot be set.
	#[error("journal durability: {0}")]
	Durability(#[from] redb::SetDurabilityError),
	/// The write-ahead log cannot be opened, written or flushed.
	#[error("journal log: {0}")]
	Log(#[from] std::io::Error),
	/// A thread of the journal cannot be started.
	#[error("journal thread: {0}")]
	Thread(#[source] std::io::Error),
	/// An append is larger than the whole write-ahead log.
	#[error("an append of {bytes} bytes is larger than the journal log")]
	TooLarge {
		/// The append's size in the log.
		bytes: u64,
	},
	/// A write failed earlier: the journal takes no more appends, and a
	/// restart replays what is durable.
	#[error("the journal failed: {0}")]
	Failed(#[source] Arc<JournalError>),
	/// The journal stopped after a fatal storage error (or is shutting
	/// down); a restart replays what is durable.
	#[error("the journal has stopped")]
	Stopped,
	/// The journal is at a high-water mark and takes no appends for now.
	#[error("the journal is full for now: {0}")]
	Busy(#[from] super::pressure::Refusal),
	/// A stored entry does not decode.
	#[error("journal entry {0} is corrupt")]
	Corrupt(u64),
}

impl JournalError {
	/// Whether it comes from a file system out of space (or quota): the
	/// bridge then waits for space instead of giving up.
	pub fn is_no_space(&self) -> bool {
		use redb::StorageError;
		let io = |e: &std::io::Error| {
			let no_space = [rustix::io::Errno::NOSPC, rustix::io::Errno::DQUOT];
			no_space.iter().any(|errno| e.raw_os_error() == Some(errno.raw_os_error()))
		};
		let storage = |e: &StorageError| matches!(e, StorageError::Io(e) if io(e));
		match self {
			JournalError::Log(e) => io(e),
			JournalError::Storage(e) => storage(e),
			JournalError::Database(redb::DatabaseError::Storage(e)) => storage(e),
			JournalError::Transaction(redb::TransactionError::Storage(e)) => storage(e),
			JournalError::Table(redb::TableError::Storage(e)) => storage(e),
			JournalError::Commit(redb::CommitError::Storage(e)) => storage(e),
			JournalError::Failed(inner) => inner.is_no_space(),
			_ => false,
		}
	}
}
