//! Registrations as a block's events report them: applied to the index
//! without reading the identities' views again, unless the index cannot
//! apply them as they are (design note: `docs/index.md`, "Following:
//! only what changed").

use super::ims;
use crate::index::Index;
use ims_primitives::{ImpuId, RegistrationView};
use std::collections::BTreeSet;

/// The generated registration state as the shared type.
pub(super) fn state_of(
	state: ims::runtime_types::ims_primitives::RegistrationState,
) -> ims_primitives::RegistrationState {
	use ims::runtime_types::ims_primitives::RegistrationState as Chain;
	use ims_primitives::RegistrationState as Shared;
	match state {
		Chain::NotRegistered => Shared::NotRegistered,
		Chain::Registered => Shared::Registered,
		Chain::Unregistered => Shared::Unregistered,
	}
}

/// The registrations a block's events report that the index can apply as
/// they are: a block of registration reports names thousands of
/// identities, whose views need not be read again for a state the event
/// carries (`docs/index.md`, "Following: only what changed"). An identity whose
/// view is read anyway, or whose implicit set in the index is not the one
/// the chain wrote (a set changed meanwhile), is read with its set instead.
pub(super) fn registrations_of(
	index: &Index,
	reported: Vec<(ImpuId, RegistrationView, u32)>,
	read: &mut BTreeSet<ImpuId>,
) -> Vec<(ImpuId, RegistrationView)> {
	let mut applied = Vec::with_capacity(reported.len());
	for (impu, registration, members) in reported {
		let set = index.dependents(&[impu], None);
		let as_is = index.implicit_set_size(&impu) == Some(members.max(1))
			&& !set.iter().any(|member| read.contains(member));
		if as_is {
			applied.push((impu, registration));
		} else {
			read.extend(set);
		}
	}
	applied
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::index::{tests::view, Update};
	use ims_primitives::Name;

	fn registered() -> RegistrationView {
		RegistrationView {
			state: ims_primitives::RegistrationState::Registered,
			scscf: Some(Name::truncate_from(b"sip:scscf.ims.test".to_vec())),
		}
	}

	#[test]
	fn a_registration_is_applied_from_its_event_unless_its_set_is_read_or_differs() {
		let index = Index::default();
		let (a, b, lone) = (ImpuId::repeat_byte(1), ImpuId::repeat_byte(2), ImpuId::repeat_byte(3));
		index.apply(Update {
			impus: vec![
				(a, Some(view(1, &[1, 2], 1))),
				(b, Some(view(2, &[1, 2], 1))),
				(lone, Some(view(3, &[3], 1))),
			],
			..Default::default()
		});
		let stranger = ImpuId::repeat_byte(9);
		let reported = vec![
			(a, registered(), 2),
			(lone, registered(), 1),
			// The chain wrote one member; the index holds a set of two.
			(b, registered(), 1),
			(stranger, registered(), 1),
		];
		let mut read = BTreeSet::new();
		let applied = registrations_of(&index, reported, &mut read);
		assert_eq!(applied, vec![(a, registered()), (lone, registered())]);
		assert_eq!(read, BTreeSet::from([a, b, stranger]));
		// A set whose member is read anyway is read whole.
		let mut read = BTreeSet::from([b]);
		let applied = registrations_of(&index, vec![(a, registered(), 2)], &mut read);
		assert!(applied.is_empty());
		assert_eq!(read, BTreeSet::from([a, b]));
	}
}
