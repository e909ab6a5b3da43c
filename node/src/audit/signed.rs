//! `imsAudit_signedRecords`' request: what the reader signs, and the checks
//! of its signature and freshness (`docs/audit-rpc.md`). Whether the signer
//! may read the realm's trail is the access policy's to say, at the
//! finalized block.

use super::rpc::{error, rpc_error, MAX_PAGE};
use codec::Encode;
use ims_primitives::RealmId;
use ims_runtime::{AccountId, BlockNumber};
use jsonrpsee::core::RpcResult;
use serde::{Deserialize, Serialize};
use sp_core::{sr25519, Bytes, Pair, H256};

/// What a signed request's payload starts with, so that no signature made
/// for anything else passes for one.
pub const READ_TAG: &[u8] = b"ims-audit:read";
/// Finalized blocks after the one it names that a signed request stays
/// good for (about ten minutes of six-second blocks).
pub const SIGNED_READ_BLOCKS: BlockNumber = 100;

/// A page of a subject's records in one realm, asked for by a signed
/// account.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SignedRead {
	/// The realm whose trail is read.
	pub realm: RealmId,
	/// The subject (a subscriber's pseudonym, or `subject_key`).
	pub subject: H256,
	/// The first of the subject's records to look at.
	pub start: u64,
	/// How many of its records to look at (1 to 1000).
	pub limit: u32,
	/// A finalized block number the signer has seen: the request is good
	/// for [`SIGNED_READ_BLOCKS`] blocks after it.
	pub at: BlockNumber,
	/// The signer (sr25519).
	pub account: AccountId,
	/// The signer's sr25519 signature of [`SignedRead::payload`], or of
	/// the payload wrapped in `<Bytes>` and `</Bytes>` as browser wallets
	/// sign raw data.
	pub signature: Bytes,
}

impl SignedRead {
	/// What is signed: SCALE of the tag, the chain's genesis hash, the
	/// realm, the subject, start, limit and block.
	pub fn payload(&self, genesis: H256) -> Vec<u8> {
		(READ_TAG, genesis, self.realm, self.subject, self.start, self.limit, self.at).encode()
	}

	/// Checks the signature and that `at` is a finalized block not older
	/// than [`SIGNED_READ_BLOCKS`].
	pub fn check(&self, genesis: H256, finalized: BlockNumber) -> RpcResult<()> {
		if self.limit == 0 || self.limit > MAX_PAGE {
			let message = format!("limit must be between 1 and {MAX_PAGE}");
			return Err(rpc_error(error::INVALID_PARAMS, message));
		}
		if self.at > finalized || finalized.saturating_sub(self.at) > SIGNED_READ_BLOCKS {
			let message = format!(
				"the request names block {}; it must be finalized and at most {SIGNED_READ_BLOCKS} \
				 blocks old (finalized: {finalized})",
				self.at
			);
			return Err(rpc_error(error::BAD_SIGNATURE, message));
		}
		let bad = || rpc_error(error::BAD_SIGNATURE, "the signature is not the account's");
		let signature = sr25519::Signature::try_from(&self.signature[..]).map_err(|_| bad())?;
		let public = sr25519::Public::from_raw(self.account.clone().into());
		let payload = self.payload(genesis);
		let wrapped = [b"<Bytes>".as_slice(), &payload, b"</Bytes>"].concat();
		let signed = sr25519::Pair::verify(&signature, &payload, &public)
			|| sr25519::Pair::verify(&signature, &wrapped, &public);
		signed.then_some(()).ok_or_else(bad)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn signed(pair: &sr25519::Pair, genesis: H256, at: BlockNumber) -> SignedRead {
		let mut request = SignedRead {
			realm: 0,
			subject: H256::repeat_byte(7),
			start: 0,
			limit: 10,
			at,
			account: pair.public().into(),
			signature: Bytes(Vec::new()),
		};
		request.signature = Bytes(pair.sign(&request.payload(genesis)).0.to_vec());
		request
	}

	#[test]
	fn a_fresh_request_signed_by_its_account_passes_and_nothing_else_does() {
		let alice = sr25519::Pair::from_string("//Alice", None).unwrap();
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		let genesis = H256::repeat_byte(1);
		let good = signed(&alice, genesis, 90);
		assert!(good.check(genesis, 100).is_ok());
		assert!(good.check(genesis, 190).is_ok(), "100 blocks old");
		let code = |r: RpcResult<()>| r.err().map(|e| e.code());
		assert_eq!(code(good.check(genesis, 191)), Some(error::BAD_SIGNATURE), "too old");
		assert_eq!(code(good.check(genesis, 89)), Some(error::BAD_SIGNATURE), "not finalized");
		assert_eq!(code(good.check(H256::zero(), 100)), Some(error::BAD_SIGNATURE), "other chain");
		let mut other = good.clone();
		other.account = bob.public().into();
		assert_eq!(code(other.check(genesis, 100)), Some(error::BAD_SIGNATURE), "another signer");
		let mut moved = good.clone();
		moved.realm = 1;
		assert_eq!(code(moved.check(genesis, 100)), Some(error::BAD_SIGNATURE), "another realm");
		let mut short = good.clone();
		short.signature = Bytes(vec![0; 10]);
		assert_eq!(code(short.check(genesis, 100)), Some(error::BAD_SIGNATURE), "no signature");
		let mut huge = signed(&alice, genesis, 90);
		huge.limit = MAX_PAGE + 1;
		assert_eq!(code(huge.check(genesis, 100)), Some(error::INVALID_PARAMS));
		// A wallet's signature of the wrapped payload.
		let mut wallet = good.clone();
		let wrapped = [b"<Bytes>".as_slice(), &good.payload(genesis), b"</Bytes>"].concat();
		wallet.signature = Bytes(alice.sign(&wrapped).0.to_vec());
		assert!(wallet.check(genesis, 100).is_ok());
	}
}
