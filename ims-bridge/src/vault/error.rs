//! What can go wrong in the vault. Messages never include secrets.

use std::path::PathBuf;

/// What went wrong in the vault. Messages never include secrets.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
	/// The key is not 32 bytes or 64 hex digits.
	#[error("the vault key must be 32 bytes or 64 hex digits")]
	KeyFormat,
	/// The key file cannot be read.
	#[error("vault key file {}: {source}", path.display())]
	KeyFile {
		/// The file.
		path: PathBuf,
		/// Why it cannot be read.
		#[source]
		source: std::io::Error,
	},
	/// The key file is readable by others than its owner.
	#[error("vault key file {}: mode {mode:o} lets group or others read it; chmod 600 it", path.display())]
	KeyFileMode {
		/// The file.
		path: PathBuf,
		/// Its permission bits.
		mode: u32,
	},
	/// The file was made with another key.
	#[error("the vault key does not open this vault (wrong key or another vault)")]
	WrongKey,
	/// A record does not decrypt or decode: tampering or corruption.
	#[error("a vault record is corrupt or was tampered with")]
	Corrupt,
	/// An identity already belongs to another subscription.
	#[error("{0} is already held by another subscription in the vault")]
	IdentityTaken(String),
	/// The private identity has no AKA keys.
	#[error("the private identity has no AKA keys")]
	NoAkaKeys,
	/// The 48-bit SQN space of a subscriber is exhausted.
	#[error("the sequence numbers of this private identity are exhausted; give it a new K")]
	SqnExhausted,
	/// The database file cannot be opened or created.
	#[error("vault database: {0}")]
	Database(#[from] redb::DatabaseError),
	/// A transaction cannot begin.
	#[error("vault transaction: {0}")]
	Transaction(#[from] redb::TransactionError),
	/// A table cannot be opened.
	#[error("vault table: {0}")]
	Table(#[from] redb::TableError),
	/// Reading or writing the file failed.
	#[error("vault storage: {0}")]
	Storage(#[from] redb::StorageError),
	/// A transaction cannot commit.
	#[error("vault commit: {0}")]
	Commit(#[from] redb::CommitError),
	/// The keyring of data keys cannot be read or written.
	#[error("vault keyring {}: {source}", path.display())]
	Keyring {
		/// The file.
		path: PathBuf,
		/// What failed.
		#[source]
		source: std::io::Error,
	},
	/// The keyring is not a keyring, or neither of its headers is intact.
	#[error("vault keyring {}: not a keyring, or its headers are damaged", path.display())]
	KeyringCorrupt {
		/// The file.
		path: PathBuf,
	},
	/// The vault and the keyring beside it do not belong together: one is
	/// missing, or they were made for different vaults.
	#[error("vault keyring {}: {why}", path.display())]
	KeyringMismatch {
		/// The keyring file.
		path: PathBuf,
		/// What does not match.
		why: &'static str,
	},
	/// A record's data key is gone from the keyring: the subscription was
	/// erased (the record comes from a copy older than the erasure).
	#[error("the data key of this vault record was destroyed")]
	KeyDestroyed,
	/// The new vault key of a rotation is the key in use.
	#[error("the new vault key is the one in use")]
	SameKey,
	/// A rotation to another key is under way; it must finish first.
	#[error("a rotation to another vault key is under way; finish it with that key first")]
	RotationUnderWay,
	/// The keyring holds the most slots it can number.
	#[error("the vault keyring is full")]
	KeyringFull,
	/// The file cannot be compacted after an erasure.
	#[error("vault compaction: {0}")]
	Compaction(#[from] redb::CompactionError),
}
