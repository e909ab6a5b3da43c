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
		.ok_or_else(|| ProvisionError::Invalid(format!("realm {realm} does not exist on chain")))
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
	let realm = realm_id(client, &new.realm).await?;
	ensure_profile(client, (realm, &new.realm), new.profile).await?;
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
	let handle = vault.put(&parsed.subscriber)?;
	let entry = call_entry(&parsed);
	let call = ims::transactions().identity().import_subscribers(realm, BoundedVec(vec![entry]));
	if let Err(e) = submit(client, signer, &call).await {
		// The chain has nothing of it: neither must the vault.
		if let Err(undo) = vault.erase(&handle) {
			tracing::error!(error = %undo, "the vault entry of a refused subscriber could not be removed");
		}
		return Err(e);
	}
	Ok(parsed.subscriber)
}

/// Finds a subscriber by one of its identities (`@` without `sip:`/`tel:`
/// is taken as an IMPI).
pub fn find(vault: &Vault, identity: &str) -> Result<Option<Subscriber>, ProvisionError> {
	let kind = if identity.contains(':') { Kind::Impu } else { Kind::Impi };
	Ok(vault.find(kind, identity)?)
}

/// Erases a subscriber on chain and in the vault.
pub async fn remove(
	client: &Client,
	signer: &Keypair,
	vault: &Vault,
	identity: &str,
	before_removal: impl FnOnce(&Subscriber),
) -> Result<Subscriber, ProvisionError> {
	let subscriber = find(vault, identity)?
		.ok_or_else(|| ProvisionError::Invalid(format!("{identity} is not in the vault")))?;
	before_removal(&subscriber);
	let handle = subscriber.handle();
	let call = ims::transactions().identity().remove_subscription(H256(handle));
	submit(client, signer, &call).await?;
	vault.erase(&handle)?;
	Ok(subscriber)
}

/// What `show` prints: identities, pseudonyms, which secrets are held
/// (never their values) and the chain's view at the finalized head.
pub async fn show(client: &Client, subscriber: &Subscriber) -> Result<String, ProvisionError> {
	let mut out = String::new();
	let handle = subscriber.handle();
	let _ = writeln!(out, "subscription {} ({})", subscriber.subscription, hex::encode(handle));
	for impi in &subscriber.impis {
		let _ = writeln!(
			out,
			"  impi {} ({}) aka: {} digest: {}{}",
			impi.identity,
			hex::encode(subscriber.pseudonym(Kind::Impi, &impi.identity)),
			impi.aka.as_ref().map(|a| format!("yes, sqn {}", a.sqn)).unwrap_or_else(|| "no".into()),
			if impi.digest.is_some() { "yes" } else { "no" },
			if impi.digest.as_ref().is_some_and(|d| d.password.is_some()) {
				" (password kept)"
			} else {
				""
			},
		);
	}
	let at = client.at_current_block().await.map_err(chain)?;
	for impu in &subscriber.impus {
		let id = subscriber.pseudonym(Kind::Impu, impu);
		let call = ims::runtime_apis().identity_api().location(H256(id));
		let view = at.runtime_apis().call(call).await.map_err(chain)?;
		let state = match view {
			Ok(view) => format!(
				"barred: {} registration: {:?}{}",
				view.barred,
				view.registration.state,
				view.registration
					.scscf
					.as_ref()
					.map(|s| format!(" at {}", String::from_utf8_lossy(&s.0)))
					.unwrap_or_default()
			),
			Err(e) => format!("not on chain ({:?})", e.0),
		};
		let _ = writeln!(out, "  impu {impu} ({}) {state}", hex::encode(id));
	}
	let _ = writeln!(out, "  at finalized block {}", at.block_number());
	Ok(out)
}
