//! The keyring's header: which vault it belongs to, the generation of the
//! key that wraps its slots, the vault's index key, and a rotation under
//! way. Two copies, written alternately, so that a write torn by a crash
//! leaves the other; the one with the higher sequence number wins.

use codec::{Decode, Encode};
use sha2::{Digest, Sha256};

/// What a keyring file starts with.
const MAGIC: &[u8; 8] = b"IMSKEYR1";
/// The size of one copy of the header.
pub(super) const HEADER_SIZE: usize = 512;

/// The header as kept.
#[derive(Clone, Debug, Encode, Decode, PartialEq, Eq)]
pub(super) struct Header {
	/// Increases with every write.
	pub seq: u64,
	/// Names the vault the keyring belongs to; the vault's file holds it
	/// too.
	pub id: [u8; 16],
	/// The generation of the key that wraps the slots (one more with every
	/// rotation).
	pub generation: u32,
	/// A known plaintext sealed under the wrapping key: a wrong vault key
	/// is refused at open.
	pub check: Vec<u8>,
	/// The index key (look-up keys, unknown identities' pseudonyms), sealed
	/// under the wrapping key: it outlives rotations.
	pub index_key: Vec<u8>,
	/// A rotation under way.
	pub rotation: Option<Rotation>,
}

/// A rotation under way, from `generation` to `generation + 1`: each key
/// sealed under the other, so that either vault key opens the keyring and
/// finishes the rotation after a crash.
#[derive(Clone, Debug, Encode, Decode, PartialEq, Eq)]
pub(super) struct Rotation {
	/// The new wrapping key under the old one.
	pub next_under_current: Vec<u8>,
	/// The old wrapping key under the new one.
	pub current_under_next: Vec<u8>,
	/// The header's `check` and `index_key` under the new key, ready for
	/// the end of the rotation.
	pub check_under_next: Vec<u8>,
	pub index_key_under_next: Vec<u8>,
}

impl Header {
	/// One copy as written: magic, length, the encoded header and the first
	/// eight bytes of its SHA-256, padded with zeros. `None` if it does not
	/// fit (it always does: every field has a fixed size).
	pub(super) fn to_block(&self) -> Option<[u8; HEADER_SIZE]> {
		let body = self.encode();
		let len = u16::try_from(body.len()).ok()?;
		let mut block = [0u8; HEADER_SIZE];
		let end = 10usize.checked_add(body.len())?;
		block.get_mut(..8)?.copy_from_slice(MAGIC);
		block.get_mut(8..10)?.copy_from_slice(&len.to_le_bytes());
		block.get_mut(10..end)?.copy_from_slice(&body);
		block.get_mut(end..end.checked_add(8)?)?.copy_from_slice(&checksum(&body)?);
		Some(block)
	}

	/// The header in one copy, if it is intact.
	pub(super) fn from_block(block: &[u8]) -> Option<Header> {
		if block.get(..8)? != MAGIC {
			return None;
		}
		let len = usize::from(u16::from_le_bytes(block.get(8..10)?.try_into().ok()?));
		let end = 10usize.checked_add(len)?;
		let body = block.get(10..end)?;
		if block.get(end..end.checked_add(8)?)? != checksum(body)? {
			return None;
		}
		Header::decode(&mut &body[..]).ok()
	}
}

/// The first eight bytes of the body's SHA-256.
fn checksum(body: &[u8]) -> Option<[u8; 8]> {
	Sha256::digest(body).get(..8)?.try_into().ok()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn header() -> Header {
		Header {
			seq: 7,
			id: [3; 16],
			generation: 2,
			check: vec![1; 62],
			index_key: vec![2; 73],
			rotation: Some(Rotation {
				next_under_current: vec![4; 73],
				current_under_next: vec![5; 73],
				check_under_next: vec![6; 62],
				index_key_under_next: vec![7; 73],
			}),
		}
	}

	#[test]
	fn a_header_survives_its_block_and_any_damage_is_seen() {
		let block = header().to_block().unwrap();
		assert_eq!(Header::from_block(&block), Some(header()));
		for at in [0, 9, 10, 200, 10 + header().encode().len() + 3] {
			let mut damaged = block;
			damaged[at] ^= 0x40;
			assert_eq!(Header::from_block(&damaged), None, "a flipped bit at {at}");
		}
		assert_eq!(Header::from_block(&block[..100]), None, "a short block");
	}
}
