//! What the chain accepts of a front's records, made sure of before they
//! are sent (`docs/submitter.md`, "What the chain checks"): a subscriber
//! the realm no longer holds (erased, or an identity removed since the
//! answer) is recorded as an unknown identity, and record times never go
//! back, whatever the host's clock did and in whichever order concurrent
//! answers reached the journal. Both are decided again from the journal
//! at every round, so a batch refused because the chain changed meanwhile
//! is sent again in the form the chain now takes.

use super::{ims, ChainError};
use crate::index::Index;
use crate::journal::{Record, StoredRecord};
use ims_primitives::{audit::subscriber_of, RealmId, Subject};
use subxt::utils::AccountId32;

/// The front's last record time on chain at `at` (0 before its first).
pub(super) async fn last_time_at(
	at: &subxt::client::OnlineClientAtBlock<super::Config>,
	account: &AccountId32,
) -> Result<u64, ChainError> {
	let entry = ims::storage().audit().last_record_time();
	match at.storage().try_fetch(entry, (*account,)).await.map_err(ChainError::subxt)? {
		Some(value) => value.decode().map_err(ChainError::subxt),
		None => Ok(0),
	}
}

/// `records` as the chain takes them, after a record of time `floor`;
/// `floor` becomes the time of the last. Returns how many subjects were
/// turned into unknown identities.
pub(super) fn prepare(
	records: &[StoredRecord],
	index: &Index,
	floor: &mut u64,
) -> (Vec<Record>, usize) {
	// Before the index has loaded, it holds no identity: nothing is
	// turned, and the chain decides.
	let loaded = index.at().is_some();
	let mut turned = 0;
	let prepared = records
		.iter()
		.map(|stored| {
			let mut record = stored.record.clone();
			if loaded && !held(index, stored.realm, &record.subject) {
				if let Some(pseudonym) = subscriber_of(&record.subject) {
					record.subject = Subject::Unknown(pseudonym);
					turned += 1;
				}
			}
			record.at_ms = record.at_ms.max(*floor);
			*floor = record.at_ms;
			record
		})
		.collect();
	(prepared, turned)
}

/// Whether the index holds the subject as `realm`'s: an IMPU of the realm,
/// or an IMPI. Other subjects are not looked at.
fn held(index: &Index, realm: RealmId, subject: &Subject<[u8; 32]>) -> bool {
	match subject {
		Subject::Impu(impu) => index.impu(impu).is_some_and(|view| view.impu.realm == realm),
		Subject::Impi(impi) => index.impi(impi).is_some(),
		_ => true,
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::index::{tests::view, At, ImpiEntry, Store};
	use ims_primitives::audit::{Activity, FrontRecord, Peer};
	use ims_primitives::{AuthScheme, AuthSchemes, ImpuId, Token};

	fn stored(
		sequence: u64,
		realm: RealmId,
		subject: Subject<[u8; 32]>,
		at_ms: u64,
	) -> StoredRecord {
		let record = FrontRecord {
			subject,
			peer: Peer::Diameter(Token::truncate_from(b"scscf.ims.test".to_vec())),
			activity: Activity::LocationQuery,
			result: 2001,
			at_ms,
		};
		StoredRecord { sequence, realm, record }
	}

	/// An index at block 1 holding IMPU 1 of realm 1 and one IMPI.
	fn loaded() -> Index {
		let mut store = Store::default();
		store.put_impu(ImpuId::repeat_byte(1), Some(view(1, &[1], 1)));
		let impi = ImpiEntry {
			subscription: ImpuId::repeat_byte(0xee),
			schemes: AuthSchemes::of(&[AuthScheme::SipDigest]),
			default_scheme: AuthScheme::SipDigest,
			credential_epoch: 0,
		};
		store.put_impi(ImpuId::repeat_byte(0xaa), Some(impi));
		let index = Index::default();
		index.install(store, At { number: 1, hash: [1; 32] });
		index
	}

	#[test]
	fn identities_the_realm_no_longer_holds_go_as_unknown() {
		let (held, gone, impi) =
			(ImpuId::repeat_byte(1), ImpuId::repeat_byte(2), ImpuId::repeat_byte(0xaa));
		let records = [
			stored(0, 1, Subject::Impu(held), 60_000),
			stored(1, 2, Subject::Impu(held), 60_000),
			stored(2, 1, Subject::Impu(gone), 60_000),
			stored(3, 1, Subject::Impi(impi), 60_000),
			stored(4, 1, Subject::Impi(gone), 60_000),
			stored(5, 1, Subject::Unknown(gone), 60_000),
		];
		let mut floor = 0;
		let (prepared, turned) = prepare(&records, &loaded(), &mut floor);
		let subjects: Vec<_> = prepared.iter().map(|r| r.subject.clone()).collect();
		assert_eq!(
			subjects,
			vec![
				Subject::Impu(held),
				Subject::Unknown(held),
				Subject::Unknown(gone),
				Subject::Impi(impi),
				Subject::Unknown(gone),
				Subject::Unknown(gone),
			]
		);
		assert_eq!(turned, 3);
		// An index that has not loaded yet changes nothing.
		let (prepared, turned) = prepare(&records, &Index::default(), &mut floor);
		assert_eq!(turned, 0);
		assert!(prepared.iter().zip(&records).all(|(p, r)| p.subject == r.record.subject));
	}

	#[test]
	fn record_times_never_go_back() {
		let subject = Subject::Impu(ImpuId::repeat_byte(1));
		let times = [120_000, 60_000, 180_000, 0];
		let records: Vec<_> =
			(0u64..).zip(times).map(|(n, at)| stored(n, 1, subject.clone(), at)).collect();
		let mut floor = 0;
		let (prepared, _) = prepare(&records, &loaded(), &mut floor);
		let times: Vec<_> = prepared.iter().map(|r| r.at_ms).collect();
		assert_eq!(times, vec![120_000, 120_000, 180_000, 180_000]);
		assert_eq!(floor, 180_000);
		// From the chain's last time on.
		let mut floor = 240_000;
		let (prepared, _) = prepare(&records[..1], &loaded(), &mut floor);
		assert_eq!(prepared[0].at_ms, 240_000);
	}
}
