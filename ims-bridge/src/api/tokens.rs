//! The API's bearer tokens: issued by `ims-bridge api token create`, kept
//! hashed in a file of their own, each bound to the on-chain account the
//! bridge acts for (`docs/provisioning-api.md`).
//!
//! A token reads `imsb_<id>_<secret>`: the id (8 random bytes, hex) finds
//! the record, the secret (32 random bytes, hex) is checked against its
//! SHA-256. With 256 random bits a plain hash is as strong as a slow one,
//! and costs a request nothing. The file holds no secret, but is still kept
//! to its owner (mode 0600): it says which accounts the bridge acts for.

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};
use subxt::utils::AccountId32;

/// What a token starts with.
const PREFIX: &str = "imsb_";
/// The file's format version.
const VERSION: u32 = 1;

/// Why the token store failed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
	/// The file could not be read or written.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// Why.
		#[source]
		source: std::io::Error,
	},
	/// The file is not a token store of this version.
	#[error("{path}: not a token file of version {VERSION}: {reason}")]
	Malformed {
		/// The file.
		path: PathBuf,
		/// Why.
		reason: String,
	},
	/// The account is not an SS58 address.
	#[error("{0:?} is not an SS58 account address")]
	BadAccount(String),
	/// The name is empty, too long or holds control characters.
	#[error("a token's name is 1 to 64 printable characters")]
	BadName,
	/// No token has that id.
	#[error("no token {0}")]
	Unknown(String),
}

/// One issued token, as stored (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
	/// Its id: 16 hex digits, also in the token itself.
	pub id: String,
	/// What the operator called it.
	pub name: String,
	/// The account the bridge acts for with it (SS58).
	pub account: String,
	/// SHA-256 of its secret, hex.
	pub hash: String,
	/// Issued at, in seconds since the Unix epoch.
	pub created: u64,
	/// Refused from then on, if set.
	pub expires: Option<u64>,
	/// Revoked at, if it was.
	pub revoked: Option<u64>,
}

impl TokenRecord {
	/// Whether it is refused at `now`, and why.
	pub fn refusal(&self, now: u64) -> Option<Refusal> {
		if self.revoked.is_some() {
			Some(Refusal::Revoked)
		} else if self.expires.is_some_and(|at| now >= at) {
			Some(Refusal::Expired)
		} else {
			None
		}
	}

	/// The account it acts for.
	pub fn account(&self) -> Option<AccountId32> {
		self.account.parse().ok()
	}
}

/// A presented token refused: why, and the account of the token's record
/// when one matched (an expired or revoked token's), for the audit trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
	/// Why.
	pub refusal: Refusal,
	/// The account of the token's record, if one matched.
	pub account: Option<AccountId32>,
}

/// Why a presented token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
	/// Not of the token's form, or no record matches it.
	Unknown,
	/// Its expiry has passed.
	Expired,
	/// It was revoked.
	Revoked,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
	version: u32,
	tokens: Vec<TokenRecord>,
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn hash(secret: &str) -> String {
	hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Equal bytes, in a time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
	a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TokenError + '_ {
	move |source| TokenError::Io { path: path.to_path_buf(), source }
}

fn read(path: &Path) -> Result<Vec<TokenRecord>, TokenError> {
	let text = match std::fs::read_to_string(path) {
		Ok(text) => text,
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
		Err(e) => return Err(io(path)(e)),
	};
	let malformed = |reason: String| TokenError::Malformed { path: path.to_path_buf(), reason };
	let file: StoreFile = serde_json::from_str(&text).map_err(|e| malformed(e.to_string()))?;
	if file.version != VERSION {
		return Err(malformed(format!("version {}", file.version)));
	}
	Ok(file.tokens)
}

/// Writes the whole file anew (a temporary file renamed over it, mode
/// 0600), so that a reader sees the old file or the new one.
fn write(path: &Path, tokens: &[TokenRecord]) -> Result<(), TokenError> {
	use std::io::Write;
	use std::os::unix::fs::OpenOptionsExt;
	let file = StoreFile { version: VERSION, tokens: tokens.to_vec() };
	let text = serde_json::to_string_pretty(&file)
		.map_err(|e| TokenError::Malformed { path: path.to_path_buf(), reason: e.to_string() })?;
	let temporary = path.with_extension("tmp");
	let mut out = std::fs::OpenOptions::new()
		.write(true)
		.create(true)
		.truncate(true)
		.mode(0o600)
		.open(&temporary)
		.map_err(io(&temporary))?;
	out.write_all(text.as_bytes()).map_err(io(&temporary))?;
	out.sync_all().map_err(io(&temporary))?;
	std::fs::rename(&temporary, path).map_err(io(path))
}

/// A token just issued: its record and the token itself, shown once.
pub struct Issued {
	/// What the file keeps.
	pub record: TokenRecord,
	/// The bearer token.
	pub token: zeroize::Zeroizing<String>,
}

/// Issues a token named `name` for `account`, valid for `lifetime`
/// seconds if given, and adds it to the file at `path`.
pub fn create(
	path: &Path,
	name: &str,
	account: &str,
	lifetime: Option<u64>,
) -> Result<Issued, TokenError> {
	if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
		return Err(TokenError::BadName);
	}
	let parsed: AccountId32 =
		account.parse().map_err(|_| TokenError::BadAccount(account.to_string()))?;
	let mut tokens = read(path)?;
	let (mut id, mut secret) = ([0u8; 8], zeroize::Zeroizing::new([0u8; 32]));
	rand::rngs::OsRng.fill_bytes(&mut id);
	rand::rngs::OsRng.fill_bytes(secret.as_mut());
	let (id, secret) = (hex::encode(id), zeroize::Zeroizing::new(hex::encode(secret.as_ref())));
	let created = now();
	let record = TokenRecord {
		id: id.clone(),
		name: name.to_string(),
		account: parsed.to_string(),
		hash: hash(&secret),
		created,
		expires: lifetime.map(|seconds| created.saturating_add(seconds)),
		revoked: None,
	};
	tokens.push(record.clone());
	write(path, &tokens)?;
	let token = zeroize::Zeroizing::new(format!("{PREFIX}{id}_{}", secret.as_str()));
	Ok(Issued { record, token })
}

/// Every token in the file at `path`.
pub fn list(path: &Path) -> Result<Vec<TokenRecord>, TokenError> {
	read(path)
}

/// Revokes token `id` in the file at `path` (revoking twice keeps the first
/// time).
pub fn revoke(path: &Path, id: &str) -> Result<TokenRecord, TokenError> {
	let mut tokens = read(path)?;
	let record =
		tokens.iter_mut().find(|t| t.id == id).ok_or_else(|| TokenError::Unknown(id.into()))?;
	record.revoked.get_or_insert_with(now);
	let revoked = record.clone();
	write(path, &tokens)?;
	Ok(revoked)
}

/// The tokens as the running bridge checks them: the file is read again
/// whenever it changed, so that `api token create|revoke` take effect on
/// the next request.
pub struct TokenStore {
	path: PathBuf,
	loaded: Mutex<Loaded>,
}

#[derive(Default)]
struct Loaded {
	stamp: Option<(SystemTime, u64)>,
	tokens: Vec<TokenRecord>,
}

impl TokenStore {
	/// The store of the file at `path` (which need not exist yet).
	pub fn open(path: PathBuf) -> Result<TokenStore, TokenError> {
		let store = TokenStore { path, loaded: Mutex::new(Loaded::default()) };
		store.refresh()?;
		Ok(store)
	}

	/// Reads the file again if its modification time or size changed.
	fn refresh(&self) -> Result<(), TokenError> {
		let stamp = match std::fs::metadata(&self.path) {
			Ok(meta) => Some((meta.modified().map_err(io(&self.path))?, meta.len())),
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
			Err(e) => return Err(io(&self.path)(e)),
		};
		let mut loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
		if loaded.stamp != stamp || stamp.is_none() {
			loaded.tokens = read(&self.path)?;
			loaded.stamp = stamp;
		}
		Ok(())
	}

	/// The record of `presented` if it is a valid token now.
	pub fn check(&self, presented: &str) -> Result<Result<TokenRecord, Refused>, TokenError> {
		self.refresh()?;
		let unknown = Refused { refusal: Refusal::Unknown, account: None };
		let Some((id, secret)) = presented.strip_prefix(PREFIX).and_then(|t| t.split_once('_'))
		else {
			return Ok(Err(unknown));
		};
		let loaded = self.loaded.lock().unwrap_or_else(|p| p.into_inner());
		let Some(record) = loaded.tokens.iter().find(|t| t.id == id) else {
			return Ok(Err(unknown));
		};
		if !same(&record.hash, &hash(secret)) {
			return Ok(Err(unknown));
		}
		Ok(match record.refusal(now()) {
			Some(refusal) => Err(Refused { refusal, account: record.account() }),
			None => Ok(record.clone()),
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

	#[test]
	fn a_token_is_checked_then_revoked_and_the_file_keeps_no_secret() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("tokens.json");
		let store = TokenStore::open(path.clone()).unwrap();
		assert_eq!(
			store.check("imsb_00_11").unwrap().map_err(|r| r.refusal),
			Err(Refusal::Unknown)
		);
		let issued = create(&path, "crm", ALICE, None).unwrap();
		let text = std::fs::read_to_string(&path).unwrap();
		let secret = issued.token.rsplit('_').next().unwrap();
		assert!(!text.contains(secret), "the secret is not stored");
		use std::os::unix::fs::PermissionsExt;
		assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
		// Seen by the running store without a restart.
		assert_eq!(store.check(&issued.token).unwrap(), Ok(issued.record.clone()));
		assert_eq!(
			store.check(&issued.token).unwrap().unwrap().account().unwrap().to_string(),
			ALICE
		);
		// A wrong secret, a bad form, an unknown id.
		let wrong = format!("imsb_{}_{}", issued.record.id, "0".repeat(64));
		for bad in [wrong.as_str(), "Bearer x", "imsb_", "imsb_deadbeefdeadbeef_00", ""] {
			assert_eq!(
				store.check(bad).unwrap().map_err(|r| r.refusal),
				Err(Refusal::Unknown),
				"{bad}"
			);
		}
		let revoked = revoke(&path, &issued.record.id).unwrap();
		assert!(revoked.revoked.is_some());
		let refused = Refused { refusal: Refusal::Revoked, account: issued.record.account() };
		assert_eq!(store.check(&issued.token).unwrap(), Err(refused), "its account is told");
		assert!(matches!(revoke(&path, "nope"), Err(TokenError::Unknown(_))));
		assert_eq!(list(&path).unwrap(), vec![revoked]);
	}

	#[test]
	fn an_expired_token_is_refused_and_bad_input_is_named() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("tokens.json");
		let issued = create(&path, "short-lived", ALICE, Some(0)).unwrap();
		let store = TokenStore::open(path.clone()).unwrap();
		assert_eq!(
			store.check(&issued.token).unwrap().map_err(|r| r.refusal),
			Err(Refusal::Expired)
		);
		assert!(matches!(
			create(&path, "x", "not-an-account", None),
			Err(TokenError::BadAccount(_))
		));
		assert!(matches!(create(&path, "", ALICE, None), Err(TokenError::BadName)));
		assert!(matches!(create(&path, "a\nb", ALICE, None), Err(TokenError::BadName)));
		std::fs::write(&path, "{\"version\":2,\"tokens\":[]}").unwrap();
		assert!(matches!(list(&path), Err(TokenError::Malformed { .. })));
		std::fs::write(&path, "garbage").unwrap();
		assert!(matches!(store.check(&issued.token), Err(TokenError::Malformed { .. })));
	}
}
