//! Genesis presets, built with the genesis builder.
//!
//! - `development`: one validator (Alice), funded development accounts,
//!   Alice as the sudo key, and the IMS realm `ims.example.net` owned by
//!   Alice, who is also its HSS front.
//! - `local_testnet`: three validators (Alice, Bob, Charlie), every
//!   development account funded, Alice as the sudo key, the same realm.
//!
//! Both are development presets: they use publicly known keys and are the
//! only places where a sudo key is set.

use alloc::{string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::PresetId;
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

use ims_primitives::{RealmId, Role};

use crate::{
	currency::UNIT, AccessConfig, AccountId, Balance, BalancesConfig, IdentityConfig,
	RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig,
};

/// The `development` preset id.
pub const DEVELOPMENT: &str = sp_genesis_builder::DEV_RUNTIME_PRESET;
/// The `local_testnet` preset id.
pub const LOCAL_TESTNET: &str = sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET;

/// The IMS realm (home network domain) of the development presets.
pub const DEV_REALM: &str = "ims.example.net";

/// Balance given to every endowed development account.
pub const ENDOWMENT: Balance = 1_000_000 * UNIT;

/// A validator at genesis: its account and its session keys.
pub struct GenesisValidator {
	/// The validator's account (also its validator id).
	pub account: AccountId,
	/// Aura authoring key.
	pub aura: AuraId,
	/// GRANDPA voting key.
	pub grandpa: GrandpaId,
}

impl GenesisValidator {
	/// The well-known development validator of a keyring member.
	pub fn dev(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self { account: sr.to_account_id(), aura: sr.public().into(), grandpa: ed.public().into() }
	}
}

/// A genesis state with the given validators, endowed accounts, sudo key,
/// IMS realms (`(domain, owner)`, numbered from 0) and roles in them.
///
/// Aura's and GRANDPA's own genesis sets stay empty: `pallet-session` hands
/// them the validators' keys when it builds the first session.
pub fn genesis(
	validators: Vec<GenesisValidator>,
	endowed: Vec<AccountId>,
	sudo: Option<AccountId>,
	realms: Vec<(String, AccountId)>,
	roles: Vec<(RealmId, AccountId, Role)>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed.into_iter().map(|account| (account, ENDOWMENT)).collect::<Vec<_>>(),
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|v| {
					(v.account.clone(), v.account, SessionKeys { aura: v.aura, grandpa: v.grandpa })
				})
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: sudo },
		identity: IdentityConfig { realms },
		access: AccessConfig { roles },
	})
}

/// The `development` preset: Alice validates alone.
pub fn development() -> Value {
	genesis(
		vec![GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		vec![
			Sr25519Keyring::Alice.to_account_id(),
			Sr25519Keyring::Bob.to_account_id(),
			Sr25519Keyring::AliceStash.to_account_id(),
			Sr25519Keyring::BobStash.to_account_id(),
		],
		Some(Sr25519Keyring::Alice.to_account_id()),
		dev_realms(),
		dev_roles(),
	)
}

/// The `local_testnet` preset: Alice, Bob and Charlie validate.
pub fn local_testnet() -> Value {
	genesis(
		vec![
			GenesisValidator::dev(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			GenesisValidator::dev(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			GenesisValidator::dev(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
		Sr25519Keyring::iter()
			.filter(|k| *k != Sr25519Keyring::One && *k != Sr25519Keyring::Two)
			.map(|k| k.to_account_id())
			.collect(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		dev_realms(),
		dev_roles(),
	)
}

/// `ims.example.net`, owned by Alice.
fn dev_realms() -> Vec<(String, AccountId)> {
	vec![(DEV_REALM.into(), Sr25519Keyring::Alice.to_account_id())]
}

/// In the development realm, Alice (its owner) is also the HSS front, so
/// that a development bridge needs one key only.
fn dev_roles() -> Vec<(RealmId, AccountId, Role)> {
	vec![(0, Sr25519Keyring::Alice.to_account_id(), Role::HssFront)]
}

/// The JSON patch of a preset, or `None` for an unknown id.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEVELOPMENT => development(),
		LOCAL_TESTNET => local_testnet(),
		_ => return None,
	};
	// Serialising a `serde_json::Value` cannot fail: its map keys are strings.
	serde_json::to_vec(&patch).ok()
}

/// The ids of every preset.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEVELOPMENT), PresetId::from(LOCAL_TESTNET)]
}
