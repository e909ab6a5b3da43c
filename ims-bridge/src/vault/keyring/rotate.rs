//! Moving every slot to a new vault key while Cx is served
//! (`docs/vault.md`, "Rotating the vault key"). The header first records
//! the rotation with each wrapping key sealed under the other, so that a
//! crash leaves a keyring either key opens; then the slots are re-wrapped
//! a chunk at a time, each chunk under the writers' lock for a moment;
//! last, both copies of the header are rewritten without the old key.

use super::header::Rotation;
use super::{
	field_aad, slot_aad, slot_generation, slot_handle, slot_offset, write_header, Keyring, Wrap,
	Wrapping, CHECK_PLAINTEXT, FREE, SCAN_SLOTS, SEALED_KEY, SLOT_SIZE, WRAP_LABEL,
};
use crate::vault::{VaultError, VaultKey};
use std::os::unix::fs::FileExt;

impl Keyring {
	/// Whether a rotation is under way (one a crash interrupted).
	pub(in crate::vault) fn rotating(&self) -> bool {
		self.lock().header.rotation.is_some()
	}

	/// Starts a rotation to `new`, or goes on with the one under way if it
	/// was to the same key.
	pub(in crate::vault) fn begin_rotation(&self, new: &VaultKey) -> Result<(), VaultError> {
		let next = Wrap::new(new.derive(WRAP_LABEL));
		let mut slots = self.lock();
		let mut wrapping = self.wrapping.write().unwrap_or_else(|p| p.into_inner());
		if let Some(under_way) = &wrapping.next {
			// Only the rotation under way can go on.
			return match *under_way.key == *next.key {
				true => Ok(()),
				false => Err(VaultError::RotationUnderWay),
			};
		}
		if *wrapping.current.key == *next.key {
			return Err(VaultError::SameKey);
		}
		let generation = slots.header.generation;
		let next_generation = generation.checked_add(1).ok_or(VaultError::KeyringFull)?;
		let seal_next = |field: &str, plain: &[u8]| {
			next.seal.seal(b"keyring", &field_aad(field, next_generation), plain)
		};
		let rotation = Rotation {
			next_under_current: wrapping.current.seal.seal(
				b"keyring",
				&field_aad("next", generation),
				next.key.as_slice(),
			)?,
			current_under_next: seal_next("previous", wrapping.current.key.as_slice())?,
			check_under_next: seal_next("check", CHECK_PLAINTEXT)?,
			index_key_under_next: seal_next("index", self.index_key.as_slice())?,
		};
		let mut header = slots.header.clone();
		header.seq = header.seq.checked_add(1).ok_or(VaultError::Corrupt)?;
		header.rotation = Some(rotation);
		write_header(&self.file, &header).map_err(|e| self.io(e))?;
		slots.header = header;
		wrapping.next = Some(next);
		Ok(())
	}

	/// Re-wraps the slots from `first` on, at most `chunks` chunks of them
	/// (all with `None`); returns the slots re-wrapped. Writers wait for one
	/// chunk at most.
	pub(in crate::vault) fn rewrap(
		&self,
		first: u32,
		chunks: Option<u32>,
	) -> Result<(u64, u32), VaultError> {
		let mut done = 0u64;
		let mut start = first;
		let mut left = chunks;
		while left != Some(0) {
			let slots = self.lock();
			if start >= slots.count {
				break;
			}
			let n = SCAN_SLOTS.min(slots.count - start);
			let mut chunk = self.read_slots(start, n)?;
			let wrapping = self.wrapping();
			let next_generation = wrapping.generation.checked_add(1).ok_or(VaultError::Corrupt)?;
			let next = &wrapping.next.as_ref().ok_or(VaultError::Corrupt)?.seal;
			for slot in chunk.chunks_exact_mut(SLOT_SIZE) {
				if slot.first() == Some(&FREE) || slot_generation(slot) != wrapping.generation {
					continue;
				}
				let handle = slot_handle(slot);
				let key = self.unwrap(slot, &handle)?;
				let sealed =
					next.seal(b"slot", &slot_aad(&handle, next_generation), key.as_slice())?;
				slot.get_mut(1..5)
					.ok_or(VaultError::Corrupt)?
					.copy_from_slice(&next_generation.to_le_bytes());
				slot.get_mut(37..37 + SEALED_KEY)
					.ok_or(VaultError::Corrupt)?
					.copy_from_slice(&sealed);
				done += 1;
			}
			drop(wrapping);
			self.file.write_all_at(&chunk, slot_offset(start)).map_err(|e| self.io(e))?;
			self.sync()?;
			drop(slots);
			start += n;
			left = left.map(|l| l - 1);
		}
		Ok((done, start))
	}

	/// Ends the rotation once every slot is re-wrapped: both copies of the
	/// header are rewritten under the new key alone, and the old wrapping
	/// key is forgotten.
	pub(in crate::vault) fn finish_rotation(&self) -> Result<(), VaultError> {
		let mut slots = self.lock();
		let Some(rotation) = slots.header.rotation.clone() else { return Ok(()) };
		let mut wrapping = self.wrapping.write().unwrap_or_else(|p| p.into_inner());
		let next = wrapping.next.take().ok_or(VaultError::Corrupt)?;
		let generation = wrapping.generation.checked_add(1).ok_or(VaultError::Corrupt)?;
		let mut header = slots.header.clone();
		header.generation = generation;
		header.check = rotation.check_under_next;
		header.index_key = rotation.index_key_under_next;
		header.rotation = None;
		// Both copies: the older one still holds the old key sealed under
		// the new.
		for _ in 0..2 {
			header.seq = header.seq.checked_add(1).ok_or(VaultError::Corrupt)?;
			write_header(&self.file, &header).map_err(|e| self.io(e))?;
		}
		slots.header = header;
		*wrapping = Wrapping { generation, current: next, next: None };
		Ok(())
	}
}
