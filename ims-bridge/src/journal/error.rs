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
	/// A stored entry does not decode.
	#[error("journal entry {0} is corrupt")]
	Corrupt(u64),
}
