//! The pseudonyms under which the chain knows subscribers.
//!
//! An identity is known on chain only as
//! `BLAKE2b-256("ims-ledger/" kind "/" || salt || identity)`, where the
//! 32-byte salt is drawn at random per subscription and kept in the vault.
//! Without the salt a pseudonym cannot be linked to its identity, even by
//! someone who guesses the identity; destroying the salt (erasure) makes
//! the old blocks unlinkable for good.

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};

/// What a pseudonym stands for; part of the hash so that an IMPI and an
/// IMPU with the same text get different pseudonyms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
	/// An IMS subscription (IMSU), named by the operator.
	Subscription,
	/// A private user identity.
	Impi,
	/// A public user identity or public service identity.
	Impu,
}

impl Kind {
	fn tag(self) -> &'static [u8] {
		match self {
			Kind::Subscription => b"ims-ledger/imsu/",
			Kind::Impi => b"ims-ledger/impi/",
			Kind::Impu => b"ims-ledger/impu/",
		}
	}
}

/// The pseudonym of `identity` under `salt`.
pub fn pseudonym(salt: &[u8; 32], kind: Kind, identity: &str) -> [u8; 32] {
	let mut hash = Blake2b::<U32>::new();
	hash.update(kind.tag());
	hash.update(salt);
	hash.update(identity.as_bytes());
	hash.finalize().into()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn pseudonyms_depend_on_salt_kind_and_identity() {
		let a = pseudonym(&[1; 32], Kind::Impi, "alice@ims.test");
		assert_eq!(a, pseudonym(&[1; 32], Kind::Impi, "alice@ims.test"));
		assert_ne!(a, pseudonym(&[2; 32], Kind::Impi, "alice@ims.test"));
		assert_ne!(a, pseudonym(&[1; 32], Kind::Impu, "alice@ims.test"));
		assert_ne!(a, pseudonym(&[1; 32], Kind::Impi, "bob@ims.test"));
	}

	#[test]
	fn the_construction_is_fixed() {
		// A known answer (Python's hashlib.blake2b with digest_size=32 over
		// the same bytes), so that a change of construction, which would
		// orphan every pseudonym on chain, cannot pass unnoticed.
		assert_eq!(
			hex::encode(pseudonym(&[0; 32], Kind::Impu, "sip:alice@ims.test")),
			"cb8949017603d8dea2410344e5d0ad685288f8b25c77a35fcd54284fb7de799f"
		);
	}
}
