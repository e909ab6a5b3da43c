//! Runtime-level tests: genesis presets build into a working state.

use crate::{
	genesis_config_presets::{self, DEVELOPMENT, LOCAL_TESTNET},
	time::SESSION_PERIOD,
	Aura, Balances, BlockNumber, Grandpa, Runtime, RuntimeGenesisConfig, Session, System,
	SLOT_DURATION,
};
use frame_support::traits::{Get, OnInitialize};
use sp_genesis_builder::PresetId;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

/// Builds the storage of a preset exactly as the node's genesis builder does:
/// the preset patch applied on top of the default genesis config.
fn preset_ext(id: &str) -> sp_io::TestExternalities {
	let patch = genesis_config_presets::get_preset(&PresetId::from(id))
		.unwrap_or_else(|| panic!("preset {id} exists"));
	patch_ext(serde_json::from_slice(&patch).expect("patch is JSON"))
}

/// Builds the storage of the default genesis config with `patch` applied.
fn patch_ext(patch: serde_json::Value) -> sp_io::TestExternalities {
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serialises");
	json_merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("a full config");
	config.build_storage().expect("preset builds").into()
}

fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (k, v) in patch {
				json_merge(base.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(base, patch) => *base = patch,
	}
}

#[test]
fn preset_names_are_development_and_local_testnet() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names, vec![PresetId::from(DEVELOPMENT), PresetId::from(LOCAL_TESTNET)]);
	assert_eq!(DEVELOPMENT, "development");
	assert_eq!(LOCAL_TESTNET, "local_testnet");
	assert!(genesis_config_presets::get_preset(&PresetId::from("no-such-preset")).is_none());
}

#[test]
fn development_preset_has_one_validator_and_a_sudo_key() {
	preset_ext(DEVELOPMENT).execute_with(|| {
		let alice = Sr25519Keyring::Alice;
		assert_eq!(Session::validators(), vec![alice.to_account_id()]);
		assert_eq!(
			pallet_aura::Authorities::<Runtime>::get().into_inner(),
			vec![alice.public().into()]
		);
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(grandpa.len(), 1);
		assert_eq!(grandpa[0].1, 1);
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice.to_account_id()));
		assert_eq!(
			Balances::free_balance(alice.to_account_id()),
			genesis_config_presets::ENDOWMENT
		);
	});
}

#[test]
fn local_testnet_preset_has_three_validators() {
	preset_ext(LOCAL_TESTNET).execute_with(|| {
		let expected: Vec<_> =
			[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
				.iter()
				.map(|k| k.to_account_id())
				.collect();
		assert_eq!(Session::validators(), expected);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
		assert_eq!(Grandpa::grandpa_authorities().len(), 3);
		assert!(pallet_sudo::Key::<Runtime>::get().is_some());
	});
}

#[test]
fn a_preset_without_sudo_key_builds() {
	// The shape a production preset will take: no superuser at all.
	let patch = genesis_config_presets::genesis(
		vec![genesis_config_presets::GenesisValidator::dev(
			Sr25519Keyring::Alice,
			sp_keyring::Ed25519Keyring::Alice,
		)],
		vec![Sr25519Keyring::Alice.to_account_id()],
		None,
		vec![],
		vec![],
	);
	patch_ext(patch).execute_with(|| {
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		assert_eq!(Session::validators().len(), 1);
	});
}

#[test]
fn slot_is_two_seconds_and_aura_agrees() {
	assert_eq!(SLOT_DURATION, 2_000);
	preset_ext(DEVELOPMENT).execute_with(|| {
		assert_eq!(Aura::slot_duration(), SLOT_DURATION);
		assert_eq!(
			<<Runtime as pallet_timestamp::Config>::MinimumPeriod as Get<u64>>::get(),
			SLOT_DURATION / 2
		);
	});
}

#[test]
fn sessions_rotate_and_keep_the_genesis_set_until_a_session_manager_exists() {
	preset_ext(LOCAL_TESTNET).execute_with(|| {
		// Given the three genesis validators in session 0
		let validators = Session::validators();
		let grandpa = Grandpa::grandpa_authorities();
		assert_eq!(Session::current_index(), 0);

		// When a full session period passes
		for n in 1..=SESSION_PERIOD {
			System::set_block_number(n);
			<Session as OnInitialize<BlockNumber>>::on_initialize(n);
		}

		// Then the session rotated once, and Aura and GRANDPA keep the same set
		assert_eq!(Session::current_index(), 1);
		assert_eq!(Session::validators(), validators);
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3);
		assert_eq!(Grandpa::grandpa_authorities(), grandpa);
	});
}

#[test]
fn ss58_prefix_and_token_are_set() {
	assert_eq!(<Runtime as frame_system::Config>::SS58Prefix::get(), crate::SS58_PREFIX);
	assert_eq!(crate::currency::TOKEN_SYMBOL, "IMS");
	assert_eq!(crate::currency::TOKEN_DECIMALS, 12);
}

#[test]
fn development_realm_is_owned_by_alice_who_may_provision_it() {
	use crate::{Identity, RuntimeCall, RuntimeOrigin};
	use frame_support::{assert_noop, assert_ok, traits::UnfilteredDispatchable};
	use ims_primitives::{LookupError, RegistrationState};
	use sp_core::H256;

	preset_ext(DEVELOPMENT).execute_with(|| {
		// Given the development realm, owned by Alice,
		let realm = pallet_ims_identity::Realms::<Runtime>::get(0).expect("realm 0 exists");
		assert_eq!(realm.name.as_slice(), genesis_config_presets::DEV_REALM.as_bytes());
		assert_eq!(realm.owner, Sr25519Keyring::Alice.to_account_id());

		// when Bob, who holds nothing, tries to provision it, he is refused;
		let subscription = H256::repeat_byte(1);
		let create =
			pallet_ims_identity::Call::<Runtime>::create_subscription { realm: 0, subscription };
		let bob = RuntimeOrigin::signed(Sr25519Keyring::Bob.to_account_id());
		assert_noop!(
			create.clone().dispatch_bypass_filter(bob),
			pallet_ims_identity::Error::<Runtime>::NotAuthorized
		);
		// Alice (the owner, through the access policy) may.
		let alice = RuntimeOrigin::signed(Sr25519Keyring::Alice.to_account_id());
		assert_ok!(RuntimeCall::Identity(create).dispatch_bypass_filter(alice));
		assert!(pallet_ims_identity::Subscriptions::<Runtime>::contains_key(subscription));

		// The runtime API's lookups answer from the same state.
		assert_eq!(Identity::location(H256::repeat_byte(2)), Err(LookupError::UnknownImpu));
		assert_eq!(
			Identity::user_authorization(H256::repeat_byte(3), H256::repeat_byte(2)),
			Err(LookupError::UnknownImpi)
		);
		assert_eq!(RegistrationState::default(), RegistrationState::NotRegistered);
	});
}

/// The most one normal extrinsic may weigh.
fn max_extrinsic() -> frame_support::weights::Weight {
	<Runtime as frame_system::Config>::BlockWeights::get()
		.get(frame_support::dispatch::DispatchClass::Normal)
		.max_extrinsic
		.expect("normal extrinsics are limited")
}

#[test]
fn identity_bounds_fit_in_a_block() {
	// The heaviest identity calls at their bounds must fit in a normal block.
	use crate::configs::ims::MaxImpisPerSubscription;
	use pallet_ims_identity::WeightInfo;
	type Weights = pallet_ims_identity::weights::SubstrateWeight<Runtime>;
	let max_block = max_extrinsic();
	let impus = <Runtime as pallet_ims_identity::Config>::MaxImpusPerSubscription::get();
	let batch = <Runtime as pallet_ims_identity::Config>::MaxBatchSize::get();
	for (call, weight) in [
		(
			"remove_subscription",
			Weights::remove_subscription(MaxImpisPerSubscription::get(), impus),
		),
		("record_registrations", Weights::record_registrations(batch)),
		("put_service_profile", Weights::put_service_profile(16, 8)),
		("import of IMPUs", Weights::create_impu().saturating_mul(batch.into())),
	] {
		assert!(
			weight.all_lte(max_block),
			"{call} at its bounds weighs {weight:?} > {max_block:?}"
		);
	}
}

#[test]
fn development_access_policy_answers_through_the_runtime_api() {
	use crate::{Access, AccountId, RuntimeOrigin};
	use frame_support::{assert_noop, assert_ok};
	use ims_primitives::{Action, Denial, Permission, Requester, Role, ShData};
	use sp_core::H256;

	preset_ext(DEVELOPMENT).execute_with(|| {
		let alice = Sr25519Keyring::Alice.to_account_id();
		let bob = Sr25519Keyring::Bob.to_account_id();
		let ask = |who: &AccountId, permission| {
			Access::decide(Requester::Account(who.clone()), 0, None, Action::Exercise(permission))
		};
		// Alice owns the realm and is its HSS front; Bob holds nothing.
		assert_eq!(
			pallet_ims_access::Roles::<Runtime>::get(0, &alice).map(|grants| grants.len()),
			Some(1)
		);
		assert_eq!(ask(&alice, Permission::RecordRegistration), Ok(()));
		assert_eq!(ask(&alice, Permission::ManageRoles), Ok(()));
		assert_eq!(ask(&bob, Permission::Provision), Err(Denial::MissingRole));
		// Bob cannot make himself a provisioner; Alice can make him one.
		assert_noop!(
			Access::grant_role(
				RuntimeOrigin::signed(bob.clone()),
				0,
				bob.clone(),
				Role::Provisioner,
				None
			),
			pallet_ims_access::Error::<Runtime>::SelfGrant
		);
		assert_ok!(Access::grant_role(
			RuntimeOrigin::signed(alice),
			0,
			bob.clone(),
			Role::Provisioner,
			None
		));
		assert_eq!(ask(&bob, Permission::Provision), Ok(()));
		// No application server is authorised yet.
		let server = Requester::ApplicationServer {
			host: b"as.ims.example.net".to_vec().try_into().expect("short"),
			fingerprint: [0; 32],
		};
		assert_eq!(
			Access::decide(server, 0, None, Action::ShRead(ShData::ImsUserState)),
			Err(Denial::UnknownApplicationServer)
		);
		assert_eq!(
			Access::decide(
				Requester::Account(bob),
				0,
				Some(H256::repeat_byte(9)),
				Action::Exercise(Permission::Provision)
			),
			Err(Denial::UnknownSubscriber)
		);
	});
}

#[test]
fn access_bounds_fit_in_a_block() {
	use pallet_ims_access::WeightInfo;
	type Weights = pallet_ims_access::weights::SubstrateWeight<Runtime>;
	let max_block = max_extrinsic();
	for (call, weight) in [
		("authorize_application_server", Weights::authorize_application_server()),
		("grant_consent", Weights::grant_consent()),
		("erase_consents", Weights::erase_consents()),
	] {
		assert!(weight.all_lte(max_block), "{call} weighs {weight:?} > {max_block:?}");
	}
}

#[test]
fn refused_ims_calls_are_reported_through_the_transaction_extension() {
	use crate::{RuntimeCall, RuntimeEvent, RuntimeOrigin};
	use frame_support::dispatch::GetDispatchInfo;
	use sp_core::H256;
	use sp_runtime::traits::{DispatchTransaction, Dispatchable};

	preset_ext(DEVELOPMENT).execute_with(|| {
		frame_system::Pallet::<Runtime>::set_block_number(1);
		let bob = Sr25519Keyring::Bob.to_account_id();
		// Bob, who holds nothing, tries to provision the development realm.
		let call = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
			realm: 0,
			subscription: H256::repeat_byte(7),
		});
		let info = call.get_dispatch_info();
		let result = pallet_ims_access::ReportDenials::<Runtime>::new()
			.test_run(RuntimeOrigin::signed(bob.clone()), &call, &info, 0, 0, |origin| {
				call.clone().dispatch(origin)
			})
			.expect("valid");
		assert!(result.is_err());
		// The refusal is on record: Identity is pallet 8, create_subscription
		// its call 3, NotAuthorized its error 0.
		let denied = frame_system::Pallet::<Runtime>::events().into_iter().any(|record| {
			record.event
				== RuntimeEvent::Access(pallet_ims_access::Event::AccessDenied {
					who: bob.clone(),
					realm: 0,
					pallet: 8,
					call: 3,
					module: 8,
					error: 0,
				})
		});
		assert!(denied, "AccessDenied for Bob in realm 0");
	});
}

#[test]
fn audit_bounds_fit_in_a_block() {
	use codec::Encode;
	use ims_primitives::{
		audit::{Activity, FrontRecord, Peer},
		limits::MAX_TOKEN_LEN,
		AuthScheme, Subject,
	};
	use pallet_ims_audit::WeightInfo;
	type Weights = pallet_ims_audit::weights::SubstrateWeight<Runtime>;
	let max_batch = <Runtime as pallet_ims_audit::Config>::MaxBatchSize::get();
	let weight = Weights::submit(max_batch);
	assert!(weight.all_lte(max_extrinsic()), "a full batch weighs {weight:?}");
	// A full batch of records with the longest peer name fits in a block.
	let record = FrontRecord::<crate::AccountId> {
		subject: Subject::Impu(sp_core::H256::zero()),
		peer: Peer::Diameter(vec![b'p'; MAX_TOKEN_LEN as usize].try_into().expect("bound")),
		activity: Activity::AuthenticationChallenge(AuthScheme::AkaV1Md5),
		result: 2001,
		at_ms: u64::MAX,
	};
	let length = record.encoded_size() * max_batch as usize;
	let max_length = *<Runtime as frame_system::Config>::BlockLength::get()
		.max
		.get(frame_support::dispatch::DispatchClass::Normal) as usize;
	assert!(length < max_length / 4, "a full batch is {length} bytes");
}

#[test]
fn ims_changes_and_refusals_join_the_audit_trail() {
	use crate::{Audit, Identity, RuntimeCall, RuntimeEvent, RuntimeOrigin};
	use frame_support::{assert_ok, dispatch::GetDispatchInfo, traits::OnFinalize};
	use ims_primitives::{
		audit::{Activity, Actor, Entry, Source},
		Change, Subject,
	};
	use sp_core::H256;
	use sp_runtime::traits::{DispatchTransaction, Dispatchable};

	preset_ext(DEVELOPMENT).execute_with(|| {
		// The development genesis' changes (realm, Alice's role) are sealed
		// in block 1.
		System::set_block_number(1);
		Audit::on_finalize(1);
		let genesis = pallet_ims_audit::Trails::<Runtime>::get(0).expect("genesis changes");
		assert_eq!(genesis.batches, 1);

		System::set_block_number(2);
		System::reset_events();
		pallet_timestamp::Now::<Runtime>::put(1_763_000_000_000);
		let (alice, bob) =
			(Sr25519Keyring::Alice.to_account_id(), Sr25519Keyring::Bob.to_account_id());
		let subscription = H256::repeat_byte(3);
		assert_ok!(Identity::create_subscription(
			RuntimeOrigin::signed(alice.clone()),
			0,
			subscription
		));
		let call = RuntimeCall::Identity(pallet_ims_identity::Call::create_subscription {
			realm: 0,
			subscription: H256::repeat_byte(4),
		});
		let info = call.get_dispatch_info();
		let refused = pallet_ims_access::ReportDenials::<Runtime>::new()
			.test_run(RuntimeOrigin::signed(bob.clone()), &call, &info, 0, 0, |origin| {
				call.clone().dispatch(origin)
			})
			.expect("valid");
		assert!(refused.is_err());
		Audit::on_finalize(2);

		let trail = pallet_ims_audit::Trails::<Runtime>::get(0).expect("a trail");
		assert_eq!(trail.batches, 2);
		let entries = System::events()
			.into_iter()
			.find_map(|record| match record.event {
				RuntimeEvent::Audit(pallet_ims_audit::Event::Recorded {
					realm: 0,
					batch: 1,
					source: Source::Chain,
					records,
					..
				}) => Some(records),
				_ => None,
			})
			.expect("block 2's batch");
		assert_eq!(
			entries,
			vec![
				Entry {
					subject: Subject::Subscription(subscription),
					actor: Actor::Account(alice),
					activity: Activity::Change(Change::Created),
					result: 2001,
					at_ms: 1_763_000_000_000,
				},
				Entry {
					subject: Subject::Call { pallet: 8, call: 3 },
					actor: Actor::Account(bob),
					activity: Activity::Change(Change::Denied { module: 8, error: 0 }),
					result: 5003,
					at_ms: 1_763_000_000_000,
				},
			]
		);
		assert_eq!(pallet_ims_audit::Batches::<Runtime>::get(0, 1).map(|b| b.count), Some(2));
	});
}
