//! FHoSS's service data put into each realm its subscribers are in, before
//! them: application servers, charging information, shared iFC sets and
//! service profiles, under FHoSS's ids. What the realm already holds as
//! FHoSS has it is left alone, so a second run sends nothing; the rest is
//! put in that order (a profile's servers and sets before it), under
//! consecutive nonces and awaited side by side.
//!
//! - `rows`: the service tables, read whole.
//! - `map`: the rows as the ledger's types, or why not.

mod map;
mod rows;

use super::rows::query;
use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::{self, ims, ChainError, Client, Until};
use crate::import::{ImportError, LineError, Record, Refusal};
use sqlx::mysql::MySqlPool;
use subxt::utils::Static;
use subxt_signer::sr25519::Keypair;

/// What putting the service data did.
#[derive(Default)]
pub struct Put {
	/// Objects written to a realm.
	pub stored: u64,
	/// Objects a realm already held as FHoSS has them.
	pub unchanged: u64,
	/// Rows that could not be expressed, and objects the chain refused.
	pub refused: Vec<Refusal>,
	/// What was lost on the way.
	pub notes: Vec<String>,
}

/// Reads FHoSS's service data and puts it into every realm on chain that
/// one of its private identities is in, signing with `signer`.
pub async fn put(client: &Client, signer: &Keypair, pool: &MySqlPool) -> Result<Put, ImportError> {
	let services = map::services(&rows::read(pool).await?);
	let mut put =
		Put { refused: services.refused.clone(), notes: services.notes.clone(), ..Put::default() };
	for (name, realm) in realms(client, pool).await? {
		let changes = changes(client, realm, &services).await?;
		put.unchanged += (services.len() - changes.len()) as u64;
		for (record, outcome) in changes.submit(client, signer, realm).await {
			match outcome {
				Ok(_) => put.stored += 1,
				Err(e) => put.refused.push(Refusal {
					record,
					reason: LineError::Chain(format!("realm {name}: {e}")),
				}),
			}
		}
	}
	Ok(put)
}

/// The realms on chain of the database's private identities.
async fn realms(client: &Client, pool: &MySqlPool) -> Result<Vec<(String, u32)>, ImportError> {
	let names: Vec<String> = sqlx::query_scalar(
		"SELECT DISTINCT SUBSTRING_INDEX(identity, '@', -1) FROM impi WHERE identity LIKE '%@%'",
	)
	.fetch_all(pool)
	.await
	.map_err(query("the realms of impi"))?;
	let mut realms = Vec::new();
	for name in names {
		if let Some(realm) = crate::provision::find_realm(client, &name).await? {
			realms.push((name, realm));
		}
	}
	Ok(realms)
}

impl map::Services {
	fn len(&self) -> usize {
		self.servers.len() + self.charging.len() + self.ifc_sets.len() + self.profiles.len()
	}
}

/// What a realm lacks of the service data, or holds otherwise.
#[derive(Default)]
struct Changes {
	servers: Vec<(u32, ims_primitives::ApplicationServer)>,
	charging: Vec<(u32, ims_primitives::ChargingInformation)>,
	ifc_sets: Vec<(u32, ims_primitives::Ifcs)>,
	profiles: Vec<(u32, ims_primitives::ServiceProfile)>,
}

/// The entries of `wanted` that the realm's storage `entry` does not hold
/// as they are.
macro_rules! differing {
	($at:expr, $entry:ident, $realm:expr, $wanted:expr, |$held:ident| $value:expr) => {{
		let mut differing = Vec::new();
		for (id, wanted) in $wanted {
			let entry = ims::storage().identity().$entry();
			let held =
				$at.storage().try_fetch(entry, ($realm, *id)).await.map_err(ChainError::subxt)?;
			let same = match held {
				Some(held) => {
					let $held = held.decode().map_err(ChainError::subxt)?.value;
					$value == *wanted
				},
				None => false,
			};
			if !same {
				differing.push((*id, wanted.clone()));
			}
		}
		differing
	}};
}

async fn changes(
	client: &Client,
	realm: u32,
	services: &map::Services,
) -> Result<Changes, ChainError> {
	let at = client.at_current_block().await.map_err(ChainError::subxt)?;
	Ok(Changes {
		servers: differing!(at, application_servers, realm, &services.servers, |held| held.0),
		charging: differing!(at, charging_infos, realm, &services.charging, |held| held.0),
		ifc_sets: differing!(at, ifc_sets, realm, &services.ifc_sets, |held| ifcs(held)),
		profiles: differing!(at, service_profiles, realm, &services.profiles, |held| held.0),
	})
}

/// A set of iFCs as the chain's storage decodes it.
fn ifcs(held: BoundedVec<Static<ims_primitives::InitialFilterCriterion>>) -> ims_primitives::Ifcs {
	let criteria: Vec<_> = held.0.into_iter().map(|c| c.0).collect();
	// The chain bounds them as the primitives do: never longer.
	ims_primitives::Ifcs::truncate_from(criteria)
}

impl Changes {
	fn len(&self) -> usize {
		self.servers.len() + self.charging.len() + self.ifc_sets.len() + self.profiles.len()
	}

	/// Puts every change, servers and charging before the sets that name
	/// them and sets before the profiles: one run of consecutive nonces
	/// each, in that order (the submissions take turns in the order they
	/// start), awaited side by side.
	async fn submit(
		self,
		client: &Client,
		signer: &Keypair,
		realm: u32,
	) -> Vec<(Record, Result<subxt::utils::H256, ChainError>)> {
		let identity = || ims::transactions().identity();
		let servers: Vec<_> = (self.servers.iter())
			.map(|(id, v)| identity().put_application_server(realm, *id, Static(v.clone())))
			.collect();
		let charging: Vec<_> = (self.charging.iter())
			.map(|(id, v)| identity().put_charging_information(realm, *id, Static(v.clone())))
			.collect();
		let sets: Vec<_> = (self.ifc_sets.iter())
			.map(|(id, v)| {
				let criteria = v.iter().cloned().map(Static).collect();
				identity().put_ifc_set(realm, *id, BoundedVec(criteria))
			})
			.collect();
		let profiles: Vec<_> = (self.profiles.iter())
			.map(|(id, v)| identity().put_service_profile(realm, *id, Static(v.clone())))
			.collect();
		let (servers_done, charging_done, sets_done, profiles_done) = tokio::join!(
			chain::submit_all(client, signer, &servers, Until::Finalized),
			chain::submit_all(client, signer, &charging, Until::Finalized),
			chain::submit_all(client, signer, &sets, Until::Finalized),
			chain::submit_all(client, signer, &profiles, Until::Finalized),
		);
		let records =
			(self.servers.iter().map(|(id, _)| Record::ApplicationServer(u64::from(*id))))
				.chain(self.charging.iter().map(|(id, _)| Record::ChargingInfo(u64::from(*id))))
				.chain(self.ifc_sets.iter().map(|(id, _)| Record::SharedIfcSet(u64::from(*id))))
				.chain(self.profiles.iter().map(|(id, _)| Record::Sp(u64::from(*id))));
		let outcomes =
			servers_done.into_iter().chain(charging_done).chain(sets_done).chain(profiles_done);
		records.zip(outcomes).collect()
	}
}
