//! `ims-bridge subscriber add|remove|show`: the vault and the chain written
//! together.
//!
//! Adding writes the vault first (fresh salt, secrets), then one
//! `identity.import_subscribers` with the subscription, its IMPI and IMPUs
//! (one implicit set) and their links, all under pseudonyms; if the chain
//! refuses, the vault entry is destroyed again. Removing erases the
//! subscription on chain, then destroys the vault entry (salt and secrets),
//! which makes the old blocks unlinkable.

use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::ims::runtime_types::ims_runtime::RuntimeCall;
use crate::chain::ims::runtime_types::pallet_ims_identity::pallet::Call as IdentityCall;
use crate::chain::ims::runtime_types::pallet_ims_identity::types::SubscriberImport;
use crate::chain::{ims, ChainError, Client};
use crate::import::{call_entry, ImpiChain, ImpuChain, Parsed};
use crate::pseudonym::Kind;
use crate::vault::{AkaSecret, DigestSecret, PrivateIdentity, Subscriber, Vault};
use codec::{Decode, Encode};
use ims_primitives::{AuthScheme, AuthSchemes};
use std::fmt::Write;
use subxt::utils::H256;
use subxt_signer::sr25519::Keypair;

/// The implicit registration set every identity of a new subscription joins
/// (unless it starts barred).
pub const IMPLICIT_SET: u32 = 1;

/// A password, wiped from memory when dropped (SCALE-encoded as a string,
/// for the admin socket).
#[derive(Clone, Encode, Decode, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Password(pub String);

/// A subscriber to add.
#[derive(Encode, Decode)]
pub struct NewSubscriber {
	/// The realm's domain.
	pub realm: String,
	/// The operator's name for the subscription.
	pub subscription: String,
	/// The private identity.
	pub impi: String,
	/// Its public identities (one implicit set).
	pub impus: Vec<String>,
	/// Its SIP Digest password (HA1 is kept; the password only if
	/// `keep_password`).
	pub password: Option<Password>,
	/// Keep the password itself, for Digest-MD5.
	pub keep_password: bool,
	/// K, OPc, AMF and the last SQN used, for AKA.
	pub aka: Option<AkaSecret>,
	/// Allowed schemes.
	pub schemes: Vec<AuthScheme>,
	/// The scheme used when a request names none.
	pub default_scheme: AuthScheme,
	/// The realm's service profile its IMPUs use.
	pub profile: u32,
	/// Whether its IMPUs start barred.
	pub barred: bool,
}

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
	/// Bad input.
	#[error("{0}")]
	Invalid(String),
	/// The vault refused.
	#[error("vault: {0}")]
	Vault(#[from] crate::vault::VaultError),
	/// The realm has no service profile of that number, so its identities
	/// could not be created.
	#[error("realm {realm} has no service profile {profile}: put one first with identity.put_service_profile (polkadot.js: Developer > Extrinsics), or name another with --profile")]
	NoProfile {
		/// The realm's name.
		realm: String,
		/// The profile asked for.
		profile: u32,
	},
	/// The chain refused or failed.
	#[error("chain: {0}")]
	Chain(#[from] ChainError),
	/// The realm or subscriber named does not exist.
	#[error("{0}")]
	NotFound(String),
	/// A subscriber given as an import line that breaks the format's rules.
	#[error("{0}")]
	Line(#[from] crate::import::LineError),
}

/// Who a change is made by: the bridge's own account (the `subscriber`
/// commands), or an API user's account the bridge acts for as its agent
/// (`docs/provisioning-api.md`), whose own roles the chain then checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
	/// The bridge's account.
	Bridge,
	/// An account that appointed the bridge's account its agent.
	User(subxt::utils::AccountId32),
}

/// A failed subxt call, as a provisioning error.
fn chain(e: impl Into<subxt::Error>) -> ProvisionError {
	ProvisionError::Chain(ChainError::subxt(e))
}

fn bytes(text: &str) -> BoundedVec<u8> {
	BoundedVec(text.as_bytes().to_vec())
}

/// The number of the realm named `name`, if the chain has one.
pub(crate) async fn find_realm(client: &Client, name: &str) -> Result<Option<u32>, ChainError> {
	let at = client.at_current_block().await.map_err(ChainError::subxt)?;
	let entry = ims::storage().identity().realm_by_name();
	match at.storage().try_fetch(entry, (bytes(name),)).await.map_err(ChainError::subxt)? {
		Some(value) => value.decode().map(Some).map_err(ChainError::subxt),
		None => Ok(None),
	}
}

/// Whether `realm` has the service profile `profile`.
pub(crate) async fn has_profile(
	client: &Client,
	realm: u32,
	profile: u32,
) -> Result<bool, ChainError> {
	let at = client.at_current_block().await.map_err(ChainError::subxt)?;
	let entry = ims::storage().identity().service_profiles();
	let found = at.storage().try_fetch(entry, (realm, profile)).await;
	found.map(|v| v.is_some()).map_err(ChainError::subxt)
}

async fn realm_id(client: &Client, realm: &str) -> Result<u32, ProvisionError> {
	find_realm(client, realm)
		.await?
		.ok_or_else(|| ProvisionError::NotFound(format!("realm {realm} does not exist on chain")))
}

/// Checks that `realm` has the service profile `profile` that new IMPUs
/// would use: the chain would refuse them, after the vault entry was made.
async fn ensure_profile(
	client: &Client,
	(realm, name): (u32, &str),
	profile: u32,
) -> Result<(), ProvisionError> {
	match has_profile(client, realm, profile).await? {
		true => Ok(()),
		false => Err(ProvisionError::NoProfile { realm: name.to_string(), profile }),
	}
}

async fn submit<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &Keypair,
	call: &Call,
) -> Result<(), ProvisionError> {
	Ok(crate::chain::submit_finalized(client, signer, call).await?)
}

/// Submits an identity call as `author` makes it: `direct` signed by the
/// bridge, or `call` (the same call) wrapped in `access.act_for` for a
/// user.
pub(crate) async fn submit_identity<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &Keypair,
	author: &Author,
	(direct, call): (Call, IdentityCall),
) -> Result<(), ProvisionError> {
	submit_as(client, signer, author, (direct, RuntimeCall::Identity(call))).await
}

/// Submits a call of the runtime as `author` makes it: `direct` signed by
/// the bridge, or `call` (the same call) wrapped in `access.act_for` for a
/// user, whose roles the chain then checks.
pub(crate) async fn submit_as<Call: subxt::transactions::Payload>(
	client: &Client,
	signer: &Keypair,
	author: &Author,
	(direct, call): (Call, RuntimeCall),
) -> Result<(), ProvisionError> {
	match author {
		Author::Bridge => submit(client, signer, &direct).await,
		Author::User(user) => {
			let call = ims::transactions().access().act_for(*user, call);
			submit(client, signer, &call).await
		},
	}
}

/// Checks what `add` is given before anything is read or written.
fn check(new: &NewSubscriber) -> Result<(), ProvisionError> {
	if new.impus.is_empty() {
		return Err(ProvisionError::Invalid("give at least one public identity".into()));
	}
	if !new.schemes.contains(&new.default_scheme) {
		return Err(ProvisionError::Invalid(
			"the default scheme must be one of the schemes".into(),
		));
	}
	let wants_digest = new
		.schemes
		.iter()
		.any(|s| matches!(s, AuthScheme::SipDigest | AuthScheme::Digest | AuthScheme::DigestMd5));
	let wants_aka =
		new.schemes.iter().any(|s| matches!(s, AuthScheme::AkaV1Md5 | AuthScheme::AkaV2Md5));
	if wants_digest && new.password.is_none() {
		return Err(ProvisionError::Invalid("digest schemes need a password".into()));
	}
	if wants_aka && new.aka.is_none() {
		return Err(ProvisionError::Invalid("AKA schemes need K and OPc (or OP)".into()));
	}
	Ok(())
}

/// A new subscriber as an import line would give it: its IMPI, its IMPUs
/// (one implicit set unless barred) each linked to the IMPI.
fn parsed(new: &NewSubscriber, subscriber: Subscriber) -> Result<Parsed, ProvisionError> {
	let impus = new
		.impus
		.iter()
		.map(|_| ImpuChain {
			kind: ims_primitives::ImpuKind::PublicIdentity,
			barred: new.barred,
			can_register: true,
			// The default identity of an implicit set may not be barred:
			// barred identities stand alone (their set is themselves).
			implicit_set: (!new.barred).then_some(IMPLICIT_SET),
			profile: new.profile,
			charging: None,
			roaming: Vec::new(),
		})
		.collect();
	let links = (0..new.impus.len())
		.map(|impu| u8::try_from(impu).map(|impu| (0, impu)))
		.collect::<Result<_, _>>()
		.map_err(|_| ProvisionError::Invalid("too many public identities".into()))?;
	let impi =
		ImpiChain { schemes: AuthSchemes::of(&new.schemes), default_scheme: new.default_scheme };
	Ok(Parsed { realm: new.realm.clone(), subscriber, impis: vec![impi], impus, links })
}

/// Adds a subscriber; returns the vault entry.
pub async fn add(
	client: &Client,
	signer: &Keypair,
	vault: &Vault,
	mut new: NewSubscriber,
) -> Result<Subscriber, ProvisionError> {
	check(&new)?;
	let mut subscriber = Subscriber::new(new.subscription.clone());
	subscriber.impis.push(PrivateIdentity {
		identity: new.impi.clone(),
		// Moved, not copied: one copy of K and OPc fewer to wipe.
		aka: new.aka.take(),
		digest: new.password.as_ref().map(|password| DigestSecret {
			realm: new.realm.clone(),
			ha1: crate::auth::digest_ha1(&new.impi, &new.realm, &password.0),
			password: new.keep_password.then(|| password.0.clone()),
		}),
	});
	subscriber.impus = new.impus.clone();
	let parsed = parsed(&new, subscriber)?;
	add_parsed(client, signer, &Author::Bridge, vault, parsed).await
}

/// A subscriber checked against the chain and put in the vault, ready for
/// `identity.import_subscribers`.
pub struct Prepared {
	/// The realm's number.
	pub realm: u32,
	/// Its vault handle (the subscription's pseudonym).
	pub handle: [u8; 32],
	/// What the chain gets.
	pub entry: SubscriberImport,
	/// The vault entry.
	pub subscriber: Subscriber,
}

/// Checks that the realm and every profile the IMPUs use exist, then
/// writes the vault entry (the vault goes first: `docs/import.md`).
pub async fn prepare(
	client: &Client,
	vault: &Vault,
	parsed: Parsed,
) -> Result<Prepared, ProvisionError> {
	let realm = realm_id(client, &parsed.realm).await?;
	let mut profiles: Vec<u32> = parsed.impus.iter().map(|impu| impu.profile).collect();
	profiles.sort_unstable();
	profiles.dedup();
	for profile in profiles {
		ensure_profile(client, (realm, &parsed.realm), profile).await?;
	}
	let handle = vault.put(&parsed.subscriber)?;
	let entry = call_entry(&parsed);
	Ok(Prepared { realm, handle, entry, subscriber: parsed.subscriber })
}

/// Destroys the vault entry of a subscriber the chain refused: the chain
/// has nothing of it, neither must the vault.
pub fn abandon(vault: &Vault, handle: &[u8; 32]) {
	if let Err(undo) = vault.erase(handle) {
		tracing::error!(error = %undo, "the vault entry of a refused subscriber could not be removed");
	}
}

/// Adds a subscriber as an import line gives it (`docs/import.md`), made
/// by `author`, in a call of its own: [`prepare`], then the chain; the
/// vault entry is destroyed again if the chain refuses. Returns the vault
/// entry.
pub async fn add_parsed(
	client: &Client,
	signer: &Keypair,
	author: &Author,
	vault: &Vault,
	parsed: Parsed,
) -> Result<Subscriber, ProvisionError> {
	let Prepared { realm, handle, entry, subscriber } = prepare(client, vault, parsed).await?;
	let subscribers = BoundedVec(vec![entry]);
	let direct = ims::transactions().identity().import_subscribers(realm, subscribers.clone());
	let call = IdentityCall::import_subscribers { realm, subscribers };
	if let Err(e) = submit_identity(client, signer, author, (direct, call)).await {
		abandon(vault, &handle);
		return Err(e);
	}
	Ok(subscriber)
}

/// Finds a subscriber by one of its identities (`@` without `sip:`/`tel:`
/// is taken as an IMPI).
pub fn find(vault: &Vault, identity: &str) -> Result<Option<Subscriber>, ProvisionError> {
	let kind = if identity.contains(':') { Kind::Impu } else { Kind::Impi };
	Ok(vault.find(kind, identity)?)
}

/// Erases a subscriber on chain and in the vault, as `author`.
pub async fn remove(
	client: &Client,
	(signer, author): (&Keypair, &Author),
	vault: &Vault,
	identity: &str,
	before_removal: impl FnOnce(&Subscriber),
) -> Result<Subscriber, ProvisionError> {
	let subscriber = find(vault, identity)?
		.ok_or_else(|| ProvisionError::NotFound(format!("{identity} is not in the vault")))?;
	before_removal(&subscriber);
	let handle = subscriber.handle();
	let direct = ims::transactions().identity().remove_subscription(H256(handle));
	let call = IdentityCall::remove_subscription { subscription: H256(handle) };
	submit_identity(client, signer, author, (direct, call)).await?;
	vault.erase(&handle)?;
	Ok(subscriber)
}

/// A subscriber as the vault and the chain's finalized state know it:
/// identities, pseudonyms, which secrets are held (never their values).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SubscriberView {
	/// The operator's name for the subscription.
	pub subscription: String,
	/// The subscription's pseudonym on chain, hex.
	pub pseudonym: String,
	/// Its private identities.
	pub impis: Vec<ImpiView>,
	/// Its public identities.
	pub impus: Vec<ImpuView>,
	/// The finalized block the chain's part was read at.
	pub at_block: u32,
}

/// A private identity in a [`SubscriberView`].
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImpiView {
	/// The identity.
	pub identity: String,
	/// Its pseudonym on chain, hex.
	pub pseudonym: String,
	/// Whether AKA keys are held.
	pub aka: bool,
	/// The last SQN used (printed by `subscriber show` on the bridge's
	/// host, never served by the API).
	#[serde(skip)]
	pub sqn: Option<u64>,
	/// Whether a SIP Digest secret (HA1) is held.
	pub digest: bool,
	/// Whether the password itself is kept (for Digest-MD5).
	pub password_kept: bool,
}

/// A public identity in a [`SubscriberView`].
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImpuView {
	/// The identity.
	pub identity: String,
	/// Its pseudonym on chain, hex.
	pub pseudonym: String,
	/// The chain's state of it; `None` when the chain does not hold it.
	pub state: Option<ImpuState>,
}

/// What the chain holds of a public identity.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ImpuState {
	/// Barred.
	pub barred: bool,
	/// `NotRegistered`, `Registered` or `Unregistered`.
	pub registration: String,
	/// The S-CSCF assigned, if any.
	pub scscf: Option<String>,
	/// The realm's service profile it uses.
	pub profile: u32,
	/// The realm's charging information it uses, if any.
	pub charging: Option<u32>,
	/// The implicit registration set of its subscription it is in, if any.
	pub implicit_set: Option<u32>,
	/// The visited networks it may register from.
	pub roaming: Vec<String>,
}

/// The view of `subscriber` at the finalized head.
pub async fn view(
	client: &Client,
	subscriber: &Subscriber,
) -> Result<SubscriberView, ProvisionError> {
	let at = client.at_current_block().await.map_err(chain)?;
	let impis = subscriber
		.impis
		.iter()
		.map(|impi| ImpiView {
			identity: impi.identity.clone(),
			pseudonym: hex::encode(subscriber.pseudonym(Kind::Impi, &impi.identity)),
			aka: impi.aka.is_some(),
			sqn: impi.aka.as_ref().map(|a| a.sqn),
			digest: impi.digest.is_some(),
			password_kept: impi.digest.as_ref().is_some_and(|d| d.password.is_some()),
		})
		.collect();
	let mut impus = Vec::with_capacity(subscriber.impus.len());
	for impu in &subscriber.impus {
		let id = subscriber.pseudonym(Kind::Impu, impu);
		let call = ims::runtime_apis().identity_api().location(H256(id));
		let location = at.runtime_apis().call(call).await.map_err(chain)?.ok();
		let entry = ims::storage().identity().impus();
		let record = match at.storage().try_fetch(entry, (H256(id),)).await.map_err(chain)? {
			Some(value) => Some(value.decode().map_err(chain)?),
			None => None,
		};
		let state = location.zip(record).map(|(view, record)| ImpuState {
			barred: view.barred,
			registration: format!("{:?}", view.registration.state),
			scscf: view.registration.scscf.map(|s| String::from_utf8_lossy(&s.0).into_owned()),
			profile: record.service_profile,
			charging: record.charging,
			implicit_set: view.implicit_set,
			roaming: view
				.roaming
				.0
				.iter()
				.map(|n| String::from_utf8_lossy(&n.0).into_owned())
				.collect(),
		});
		impus.push(ImpuView { identity: impu.clone(), pseudonym: hex::encode(id), state });
	}
	Ok(SubscriberView {
		subscription: subscriber.subscription.clone(),
		pseudonym: hex::encode(subscriber.handle()),
		impis,
		impus,
		at_block: at.block_number() as u32,
	})
}

/// What `show` prints: identities, pseudonyms, which secrets are held
/// (never their values) and the chain's view at the finalized head.
pub async fn show(client: &Client, subscriber: &Subscriber) -> Result<String, ProvisionError> {
	let view = view(client, subscriber).await?;
	let mut out = String::new();
	let _ = writeln!(out, "subscription {} ({})", view.subscription, view.pseudonym);
	for impi in &view.impis {
		let _ = writeln!(
			out,
			"  impi {} ({}) aka: {} digest: {}{}",
			impi.identity,
			impi.pseudonym,
			impi.sqn.map(|sqn| format!("yes, sqn {sqn}")).unwrap_or_else(|| "no".into()),
			if impi.digest { "yes" } else { "no" },
			if impi.password_kept { " (password kept)" } else { "" },
		);
	}
	for impu in &view.impus {
		let state = match &impu.state {
			Some(state) => format!(
				"barred: {} registration: {}{}",
				state.barred,
				state.registration,
				state.scscf.as_ref().map(|s| format!(" at {s}")).unwrap_or_default()
			),
			None => "not on chain".to_string(),
		};
		let _ = writeln!(out, "  impu {} ({}) {state}", impu.identity, impu.pseudonym);
	}
	let _ = writeln!(out, "  at finalized block {}", view.at_block);
	Ok(out)
}
