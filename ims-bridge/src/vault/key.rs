//! The operator's vault key and the keys derived from it.

use super::VaultError;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The label of the key that seals records in the file.
pub(super) const ENCRYPTION_LABEL: &[u8] = b"ims-bridge vault encryption v1";
/// The label of the key of look-up keys and unknown identities' pseudonyms.
pub(super) const INDEX_LABEL: &[u8] = b"ims-bridge vault index v1";

/// The operator's vault key: 32 bytes, from a file or the environment.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct VaultKey(pub(super) [u8; 32]);

impl std::fmt::Debug for VaultKey {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("VaultKey(<secret>)")
	}
}

impl VaultKey {
	/// A key from its 32 bytes.
	pub fn from_bytes(bytes: [u8; 32]) -> Self {
		VaultKey(bytes)
	}

	/// A key from 64 hex digits (surrounding whitespace ignored).
	pub fn from_hex(text: &str) -> Result<Self, VaultError> {
		let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| VaultError::KeyFormat)?);
		let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| VaultError::KeyFormat)?;
		Ok(VaultKey(array))
	}

	/// A key from a file holding 32 raw bytes or 64 hex digits. On Unix the
	/// file must not be readable by group or others.
	pub fn from_file(path: &Path) -> Result<Self, VaultError> {
		let io = |source| VaultError::KeyFile { path: path.to_path_buf(), source };
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
			if mode & 0o077 != 0 {
				let mode = mode & 0o777;
				return Err(VaultError::KeyFileMode { path: path.to_path_buf(), mode });
			}
		}
		let bytes = Zeroizing::new(std::fs::read(path).map_err(io)?);
		if let Ok(raw) = <[u8; 32]>::try_from(bytes.as_slice()) {
			return Ok(VaultKey(raw));
		}
		let text = std::str::from_utf8(&bytes).map_err(|_| VaultError::KeyFormat)?;
		VaultKey::from_hex(text)
	}

	/// The key for one purpose, named by `label`.
	pub(super) fn derive(&self, label: &[u8]) -> Zeroizing<[u8; 32]> {
		// HMAC-SHA-256 as a PRF: one output block per label (HKDF-Expand
		// with a single block and a uniformly random input key).
		let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
			.unwrap_or_else(|_| unreachable!("HMAC takes keys of any length; qed"));
		mac.update(label);
		Zeroizing::new(mac.finalize().into_bytes().into())
	}
}
