use super::*;
use ims_primitives::{ImpuKind, ImpuView, Name, PublicIdentityView};

pub(crate) fn view(impu: u8, members: &[u8], realm: RealmId) -> ServerAssignmentView {
	let id = ImpuId::repeat_byte(impu);
	ServerAssignmentView {
		impu: ImpuView {
			impu: id,
			realm,
			realm_name: Name::truncate_from(b"ims.test".to_vec()),
			subscription: ImpuId::repeat_byte(0xee),
			kind: ImpuKind::PublicIdentity,
			barred: false,
			can_register: true,
			implicit_set: Some(1),
			all_barred: false,
			roaming: Default::default(),
			registration: RegistrationView::default(),
		},
		associated_impis: vec![ImpuId::repeat_byte(0xaa)],
		profiles: vec![ims_primitives::ProfileView {
			id: 7,
			name: Name::truncate_from(b"default".to_vec()),
			identities: runtime_order(impu, members)
				.into_iter()
				.map(|m| PublicIdentityView {
					impu: ImpuId::repeat_byte(m),
					kind: ImpuKind::PublicIdentity,
					barred: false,
				})
				.collect(),
			ifcs: vec![],
			shared_ifc_sets: vec![],
			subscribed_media_profile: None,
		}],
		charging: None,
	}
}

/// The members as the runtime lists them in `impu`'s view: itself first.
fn runtime_order(impu: u8, members: &[u8]) -> Vec<u8> {
	let mut order: Vec<u8> = members.iter().copied().filter(|m| *m == impu).collect();
	order.extend(members.iter().copied().filter(|m| *m != impu));
	order
}

fn registered() -> RegistrationView {
	RegistrationView {
		state: RegistrationState::Registered,
		scscf: Some(Name::truncate_from(b"sip:scscf.ims.test:6060".to_vec())),
	}
}

#[test]
fn barred_identities_an_s_cscf_still_holds_are_owed_an_rtr_and_a_reload_names_the_removed() {
	let index = Index::default();
	let ids: Vec<ImpuId> = (1..=5).map(ImpuId::repeat_byte).collect();
	let mut views: Vec<ServerAssignmentView> = (1..=5u8).map(|i| view(i, &[i], 1)).collect();
	// Barred and registered; barred and unregistered with its services
	// kept at an S-CSCF; barred, held nowhere; registered, not barred;
	// barred and registered on chain, but this bridge's RTR succeeded
	// (its deregistration still pending).
	views[0].impu.barred = true;
	views[0].impu.registration = registered();
	views[1].impu.barred = true;
	views[1].impu.registration =
		RegistrationView { state: RegistrationState::Unregistered, scscf: registered().scscf };
	views[2].impu.barred = true;
	views[3].impu.registration = registered();
	views[4].impu.barred = true;
	views[4].impu.registration = registered();
	let impus = ids.iter().copied().zip(views.into_iter().map(Some)).collect();
	index.apply(Update { impus, full: true, ..Default::default() });
	index.set_registration(&[ids[4]], RegistrationView::default());
	let owed = index.barred_but_held();
	assert_eq!(owed.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![ids[0], ids[1]]);
	assert_eq!(owed[0].1.impu.registration, registered());
	// A full reload that leaves out the second and the fourth: the chain
	// removed them; their views are those from before.
	let mut reload = Store::default();
	for i in [0usize, 2, 4] {
		reload.put_impu(ids[i], Some(view(i as u8 + 1, &[], 1)));
	}
	let gone = index.left_out_by(&reload);
	assert_eq!(gone.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![ids[1], ids[3]]);
	assert_eq!(gone[0].1.impu.registration.state, RegistrationState::Unregistered);
	assert!(gone[0].1.impu.barred);
}

/// An index holding one implicit set of two identities, 1 and 2.
fn one_set_of_two() -> (Index, ImpuId, ImpuId) {
	let index = Index::default();
	let (a, b) = (ImpuId::repeat_byte(1), ImpuId::repeat_byte(2));
	index.apply(Update {
		impus: vec![(a, Some(view(1, &[1, 2], 1))), (b, Some(view(2, &[1, 2], 1)))],
		..Default::default()
	});
	(index, a, b)
}

#[test]
fn a_reported_registration_reaches_every_member_of_the_set_without_a_view() {
	let (index, a, b) = one_set_of_two();
	let stranger = ImpuId::repeat_byte(9);
	index.apply(Update {
		registrations: vec![(a, registered()), (stranger, registered())],
		..Default::default()
	});
	assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
	assert_eq!(index.impu(&b).unwrap().impu.registration, registered());
	// An identity the index lacks is not made up.
	assert_eq!(index.impu(&stranger), None);
	// Reports apply in their order: the last one stands for the set.
	index.apply(Update {
		registrations: vec![(b, RegistrationView::default()), (a, registered())],
		..Default::default()
	});
	assert_eq!(index.impu(&b).unwrap().impu.registration, registered());
	index.apply(Update {
		registrations: vec![(b, RegistrationView::default())],
		..Default::default()
	});
	assert_eq!(index.impu(&a).unwrap().impu.registration, RegistrationView::default());
	// The rest of the view is untouched.
	assert_eq!(*index.impu(&a).unwrap(), view(1, &[1, 2], 1));
}

#[test]
fn a_reported_registration_confirms_only_the_pending_states_it_shows() {
	let (index, a, b) = one_set_of_two();
	index.set_registration(&[a, b], registered());
	let elsewhere = RegistrationView {
		state: RegistrationState::Registered,
		scscf: Some(Name::truncate_from(b"sip:other.ims.test".to_vec())),
	};
	index.apply(Update { registrations: vec![(a, elsewhere)], ..Default::default() });
	assert_eq!(index.pending_registrations(), 2);
	assert_eq!(index.impu(&b).unwrap().impu.registration, registered());
	index.apply(Update { registrations: vec![(b, registered())], ..Default::default() });
	assert_eq!(index.pending_registrations(), 0);
	assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
}

#[test]
fn pending_registrations_stand_until_the_chain_shows_them() {
	let (index, a, b) = one_set_of_two();
	index.set_registration(&[a, b], registered());
	assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
	assert_eq!(index.pending_registrations(), 2);
	// A block that does not yet show it keeps the pending state.
	index.apply(Update { impus: vec![(a, Some(view(1, &[1, 2], 1)))], ..Default::default() });
	assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
	// The chain confirms it for `a`.
	let mut confirmed = view(1, &[1, 2], 1);
	confirmed.impu.registration = registered();
	index.apply(Update { impus: vec![(a, Some(confirmed))], ..Default::default() });
	assert_eq!(index.pending_registrations(), 1);
	assert_eq!(index.impu(&a).unwrap().impu.registration, registered());
	// An identity that disappears takes its pending state with it.
	index.apply(Update { impus: vec![(b, None)], ..Default::default() });
	assert_eq!(index.impu(&b), None);
	assert_eq!(index.pending_registrations(), 0);
}

#[test]
fn dependents_cover_implicit_sets_and_profiles() {
	let index = Index::default();
	let ids: Vec<ImpuId> = (1..=4).map(ImpuId::repeat_byte).collect();
	index.apply(Update {
		impus: vec![
			(ids[0], Some(view(1, &[1, 2], 1))),
			(ids[1], Some(view(2, &[1, 2], 1))),
			(ids[2], Some(view(3, &[3], 1))),
			(ids[3], Some(view(4, &[4], 2))),
		],
		..Default::default()
	});
	assert_eq!(index.dependents(&[ids[1]], None), vec![ids[0], ids[1]]);
	assert_eq!(index.dependents(&[], Some((1, Some(7)))), vec![ids[0], ids[1], ids[2]]);
	assert_eq!(index.dependents(&[], Some((2, None))), vec![ids[3]]);
	let subscription = [ImpuId::repeat_byte(0xee)].into_iter().collect();
	assert_eq!(index.impus_of_subscriptions(&subscription).len(), 4);
}

#[test]
fn realms_are_found_by_name_in_any_case() {
	let index = Index::default();
	index.apply(Update {
		realms: Some([("IMS.test".to_string(), 3)].into_iter().collect()),
		..Default::default()
	});
	assert_eq!(index.realm("ims.TEST"), Some(3));
	assert_eq!(index.realm("other"), None);
}

/// A view with an S-CSCF and two profiles, shared with other sets: the
/// odd members use profile 7, the even ones profile 8 ("video"), listed as
/// the runtime lists them (the requested identity's profile first).
fn rich_view(impu: u8, members: &[u8]) -> ServerAssignmentView {
	let mut view = view(impu, members, 1);
	view.impu.registration = registered();
	let mut video = view.profiles[0].clone();
	video.id = 8;
	video.name = Name::truncate_from(b"video".to_vec());
	video.subscribed_media_profile = Some(3);
	let identities = std::mem::take(&mut view.profiles[0].identities);
	let (odd, even) = identities.into_iter().partition(|i| !i.impu.0[0].is_multiple_of(2));
	view.profiles[0].identities = odd;
	video.identities = even;
	if impu.is_multiple_of(2) {
		view.profiles.insert(0, video);
	} else {
		view.profiles.push(video);
	}
	view.profiles.retain(|p| !p.identities.is_empty());
	view.charging = Some(ims_primitives::ChargingInformation {
		primary_ecf: Some(Name::truncate_from(b"ecf.ims.test".to_vec())),
		secondary_ecf: None,
		primary_ccf: None,
		secondary_ccf: None,
	});
	view
}

#[test]
fn views_come_back_whole_and_an_implicit_set_is_stored_once() {
	let index = Index::default();
	let (a, b, c) = (ImpuId::repeat_byte(1), ImpuId::repeat_byte(2), ImpuId::repeat_byte(3));
	// The runtime lists the set's identities, and their profiles, in
	// another order in b's view than in a's.
	assert_ne!(rich_view(1, &[1, 2]).profiles, rich_view(2, &[1, 2]).profiles);
	let mut view_c = rich_view(3, &[3, 4]);
	view_c.impu.subscription = ImpuId::repeat_byte(0xdd);
	index.apply(Update {
		impus: vec![
			(a, Some(rich_view(1, &[1, 2]))),
			(b, Some(rich_view(2, &[1, 2]))),
			(c, Some(view_c.clone())),
		],
		..Default::default()
	});
	assert_eq!(*index.impu(&a).unwrap(), rich_view(1, &[1, 2]));
	assert_eq!(*index.impu(&b).unwrap(), rich_view(2, &[1, 2]));
	assert_eq!(*index.impu(&c).unwrap(), view_c);
	let state = index.read();
	let slot = |id: &ImpuId| state.store.impus.get(id).unwrap();
	assert!(Arc::ptr_eq(&slot(&a).shared, &slot(&b).shared), "one set, one shared part");
	assert!(!Arc::ptr_eq(&slot(&a).shared, &slot(&c).shared));
	let body = |id: &ImpuId, n: usize| slot(id).shared.profiles[n].body.clone();
	assert!(Arc::ptr_eq(&body(&a, 1), &body(&c, 1)), "profiles are shared across sets");
	assert!(Arc::ptr_eq(slot(&a).scscf.as_ref().unwrap(), slot(&c).scscf.as_ref().unwrap()));
	// Two sets, two profiles, two names (the realm's, the S-CSCF's).
	assert_eq!(state.store.shared_parts(), (2, 2, 2));
}

#[test]
fn a_set_changed_member_by_member_is_stored_once_again() {
	let (index, a, b) = one_set_of_two();
	let barred = |impu: u8| {
		let mut view = view(impu, &[1, 2], 1);
		view.impu.all_barred = true;
		view
	};
	// The set barred whole: its members' views change one block at a time.
	index.apply(Update { impus: vec![(a, Some(barred(1)))], ..Default::default() });
	assert_eq!(index.read().store.shared_parts().0, 2, "a's new part, b's old one");
	assert!(!index.impu(&b).unwrap().impu.all_barred);
	index.apply(Update { impus: vec![(b, Some(barred(2)))], ..Default::default() });
	let state = index.read();
	let slot = |id: &ImpuId| state.store.impus.get(id).unwrap();
	assert!(Arc::ptr_eq(&slot(&a).shared, &slot(&b).shared), "b found a's equal part");
	assert_eq!(state.store.shared_parts().0, 1);
	assert!(slot(&b).shared.all_barred);
}

#[test]
fn shared_parts_no_identity_uses_are_let_go() {
	let index = Index::default();
	let count = 5000u32;
	let id = |i: u32| {
		let mut bytes = [0u8; 32];
		bytes[..4].copy_from_slice(&i.to_le_bytes());
		ImpuId::from(bytes)
	};
	let own_view = |i: u32| {
		let mut view = view(1, &[1], 1);
		view.impu.impu = id(i);
		view.impu.subscription = id(i);
		view
	};
	index.apply(Update {
		impus: (0..count).map(|i| (id(i), Some(own_view(i)))).collect(),
		..Default::default()
	});
	assert_eq!(index.read().store.shared_parts().0, count as usize);
	index
		.apply(Update { impus: (0..count).map(|i| (id(i), None)).collect(), ..Default::default() });
	assert_eq!(index.len(), (0, 0));
	assert_eq!(index.read().store.shared_parts().0, 0, "the purge let every set go");
}

fn loaded_index() -> Index {
	let index = Index::default();
	let mut barred = rich_view(3, &[3]);
	barred.impu.barred = true;
	barred.impu.subscription = ImpuId::repeat_byte(0xdd);
	let entry = ImpiEntry {
		subscription: ImpuId::repeat_byte(0xee),
		schemes: AuthSchemes(0b101),
		default_scheme: AuthScheme::SipDigest,
		credential_epoch: 4,
	};
	index.apply(Update {
		at: At { number: 42, hash: [7; 32] },
		impus: vec![
			(ImpuId::repeat_byte(1), Some(rich_view(1, &[1, 2]))),
			(ImpuId::repeat_byte(2), Some(rich_view(2, &[1, 2]))),
			(ImpuId::repeat_byte(3), Some(barred)),
			(ImpuId::repeat_byte(4), Some(view(4, &[4], 2))),
		],
		impis: vec![(ImpuId::repeat_byte(0xaa), Some(entry))],
		registrations: vec![],
		realms: Some([("ims.test".to_string(), 1), ("other.test".to_string(), 2)].into()),
		full: true,
	});
	index
}

#[test]
fn a_snapshot_with_a_set_part_per_member_is_read_back_shared() {
	let index = loaded_index();
	let (a, b) = (ImpuId::repeat_byte(1), ImpuId::repeat_byte(2));
	// As a bridge before 2026-12-05 held it: a copy of the part per member.
	{
		let mut state = index.write();
		let slot = state.store.impus.get_mut(&b).unwrap();
		slot.shared = Arc::new(store::Shared::clone(&slot.shared));
	}
	let parts = |index: &Index| index.read().store.shared_parts().0;
	assert_eq!(parts(&index), 4);
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("index.snapshot");
	snapshot::write(&index, &path, [9; 32], 101).unwrap();
	let (mark, store) = snapshot::read(&path).unwrap();
	let resumed = Index::default();
	resumed.install(store, mark.at);
	assert_eq!(parts(&resumed), 3, "one part for the set of a and b");
	for id in [a, b] {
		assert_eq!(resumed.impu(&id), index.impu(&id));
	}
}

#[test]
fn a_snapshot_gives_back_the_index_it_was_written_from() {
	let index = loaded_index();
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("index.snapshot");
	let written = snapshot::write(&index, &path, [9; 32], 101).unwrap();
	assert_eq!(written.identities, (4, 1));
	assert_eq!(written.bytes, std::fs::metadata(&path).unwrap().len());
	let (mark, store) = snapshot::read(&path).unwrap();
	assert_eq!(
		mark,
		snapshot::Mark { genesis: [9; 32], spec_version: 101, at: index.at().unwrap() }
	);
	let resumed = Index::default();
	resumed.install(store, mark.at);
	assert_eq!(resumed.len(), index.len());
	for i in 1..=4 {
		let id = ImpuId::repeat_byte(i);
		assert_eq!(resumed.impu(&id), index.impu(&id), "identity {i}");
	}
	let impi = ImpuId::repeat_byte(0xaa);
	assert_eq!(resumed.impi(&impi), index.impi(&impi));
	let mut realms = resumed.realms();
	realms.sort();
	assert_eq!(realms, vec![("ims.test".to_string(), 1), ("other.test".to_string(), 2)]);
	assert_eq!(resumed.read().store.shared_parts(), index.read().store.shared_parts());
	assert_eq!(resumed.barred_but_held().len(), 1);
}

#[test]
fn a_damaged_or_foreign_snapshot_is_refused_with_its_reason() {
	use snapshot::SnapshotError as E;
	let dir = tempfile::tempdir().unwrap();
	let path = dir.path().join("index.snapshot");
	assert!(matches!(snapshot::write(&Index::default(), &path, [0; 32], 1), Err(E::NotLoaded)));
	snapshot::write(&loaded_index(), &path, [9; 32], 101).unwrap();
	let good = std::fs::read(&path).unwrap();
	let try_with = |bytes: &[u8]| {
		std::fs::write(&path, bytes).unwrap();
		snapshot::read(&path).map(|_| ()).unwrap_err()
	};
	let mut flipped = good.clone();
	let middle = flipped.len() / 2;
	flipped[middle] ^= 1;
	assert!(matches!(try_with(&flipped), E::Checksum(_)));
	assert!(matches!(try_with(&good[..good.len() - 10]), E::Checksum(_)));
	assert!(matches!(try_with(&good[..20]), E::NotSnapshot(_)));
	assert!(matches!(try_with(b""), E::NotSnapshot(_)));
	let mut foreign = good.clone();
	foreign[0] = b'X';
	assert!(matches!(try_with(&foreign), E::NotSnapshot(_)));
	let mut newer = good.clone();
	newer[8] = 2;
	assert!(matches!(try_with(&newer), E::Version { found: 2, .. }));
	let missing = snapshot::read(&dir.path().join("none")).map(|_| ()).unwrap_err();
	assert!(matches!(missing, E::Io { .. }));
	assert!(missing.to_string().contains("none"), "{missing}");
}

#[test]
fn the_pending_table_gives_its_room_back_once_the_chain_confirms_an_avalanche() {
	let index = Index::default();
	let ids: Vec<ImpuId> = (1..=20_000u64).map(ImpuId::from_low_u64_be).collect();
	let impus = ids
		.iter()
		.map(|id| {
			let mut alone = view(1, &[1], 1);
			alone.impu.impu = *id;
			alone.profiles[0].identities[0].impu = *id;
			(*id, Some(alone))
		})
		.collect();
	index.apply(Update { impus, ..Default::default() });
	for id in &ids {
		index.set_registration(&[*id], registered());
	}
	let grown = index.read().overlay.capacity();
	assert!(grown >= ids.len());
	// The chain confirms all but a few: the table shrinks to the floor.
	let confirmed = ids[10..].iter().map(|id| (*id, registered())).collect();
	index.apply(Update { registrations: confirmed, ..Default::default() });
	assert_eq!(index.pending_registrations(), 10);
	let capacity = index.read().overlay.capacity();
	assert!(capacity < grown && capacity <= 2 * OVERLAY_FLOOR, "{capacity} of {grown}");
	// What is still pending stays pending, every entry pointing at one
	// copy of the S-CSCF's name.
	assert_eq!(index.impu(&ids[0]).unwrap().impu.registration, registered());
	let names: Vec<_> =
		index.read().overlay.values().map(|pending| pending.scscf.clone().unwrap()).collect();
	assert!(names.windows(2).all(|pair| Arc::ptr_eq(&pair[0], &pair[1])));
	// A table near the floor is left alone.
	index.apply(Update::default());
	assert_eq!(index.read().overlay.capacity(), capacity);
}
