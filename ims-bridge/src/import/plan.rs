//! From lines to batches: each subscriber checked against the chain's
//! realms and profiles and against the vault, batched by realm, and the
//! batch written to the vault in one transaction, marked pending, before
//! it goes to the chain.
//!
//! Runs on a blocking thread (the vault's writes block on the disk); its
//! few chain reads (one per realm and per profile) go through the async
//! client with `block_on`.

use super::budget::Limit;
use super::format::{self, Parsed};
use super::reader::{Line, Lines};
use super::{ImportError, LineError, Progress, Record, Refusal};
use crate::chain::ims::runtime_types::bounded_collections::bounded_vec::BoundedVec;
use crate::chain::ims::runtime_types::ims_primitives::ImpuKind as ChainKind;
use crate::chain::ims::runtime_types::pallet_ims_identity::types::{
	ImpiImport, ImpuAttributes, ImpuImport, SubscriberImport,
};
use crate::chain::{ChainError, Client};
use crate::provision;
use crate::pseudonym::Kind;
use crate::vault::{Subscriber, Vault, VaultError};
use ims_primitives::ImpuKind;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use subxt::utils::{Static, H256};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A subscriber written to the vault and bound for the chain.
pub struct Entry {
	/// Its line (or source record).
	pub line: Record,
	/// Its vault handle (the subscription's pseudonym).
	pub handle: [u8; 32],
	/// What `import_subscribers` gets of it.
	pub call: SubscriberImport,
}

/// Subscribers of one realm, in the vault and marked pending.
pub struct Batch {
	/// The realm's number on chain.
	pub realm: u32,
	/// Its subscribers, in line order.
	pub entries: Vec<Entry>,
}

/// What planning saw.
#[derive(Default)]
pub struct Planned {
	/// Subscriber lines read.
	pub lines: u64,
	/// Lines an earlier run imported.
	pub already: u64,
	/// Lines refused before reaching the chain.
	pub refused: Vec<Refusal>,
	/// Time spent writing batches to the vault.
	pub vault_time: std::time::Duration,
}

/// Starts planning on a blocking thread; batches come out of the channel
/// in line order.
pub fn spawn(
	client: Client,
	vault: Arc<Vault>,
	lines: Lines,
	limit: Limit,
	progress: Arc<dyn Progress>,
	stop: CancellationToken,
) -> (mpsc::Receiver<Batch>, JoinHandle<Result<Planned, ImportError>>) {
	let (send, receive) = mpsc::channel(4);
	let runtime = Handle::current();
	let task = tokio::task::spawn_blocking(move || {
		let mut planner = Planner {
			runtime,
			client,
			vault,
			limit,
			send,
			progress,
			realms: HashMap::new(),
			profiles: HashMap::new(),
			open: HashMap::new(),
			planned: Planned::default(),
		};
		planner.run(lines, &stop)?;
		Ok(planner.planned)
	});
	(receive, task)
}

/// A batch being filled.
#[derive(Default)]
struct Open {
	lines: Vec<(Record, Parsed)>,
	/// Its identities, for repeats within the batch (the vault sees those
	/// only once the batch is written).
	names: HashSet<(Kind, String)>,
	/// What the runtime will charge the call, in reference time.
	weight: u64,
}

struct Planner {
	runtime: Handle,
	client: Client,
	vault: Arc<Vault>,
	limit: Limit,
	send: mpsc::Sender<Batch>,
	progress: Arc<dyn Progress>,
	/// Realm numbers by name (`None`: no such realm).
	realms: HashMap<String, Option<u32>>,
	/// Whether each (realm, profile) exists.
	profiles: HashMap<(u32, u32), bool>,
	/// Batches being filled, by realm.
	open: HashMap<u32, Open>,
	planned: Planned,
}

/// Where a line's subscriber stands in the vault.
enum InVault {
	New,
	/// Imported by an earlier run: the same subscription and identities.
	Already,
	/// Written by this run from an earlier line.
	Repeated,
	/// This identity belongs to another subscription.
	Taken(String),
}

impl Planner {
	fn run(&mut self, mut lines: Lines, stop: &CancellationToken) -> Result<(), ImportError> {
		while !stop.is_cancelled() {
			let Some((number, line)) = lines.next()? else { break };
			let parsed = match line {
				Line::Blank => continue,
				Line::Refused(reason) => Err(reason),
				Line::Text(text) => format::parse(&text),
			};
			self.planned.lines += 1;
			let outcome = match parsed {
				Ok(parsed) => self.take(number, parsed),
				Err(reason) => Ok(Err(reason)),
			};
			if let Err(reason) = outcome? {
				self.refuse(Refusal { record: number, reason });
			}
			if self.send.is_closed() {
				return Ok(());
			}
		}
		if stop.is_cancelled() {
			// Read, not yet written: the next run reads them again.
			return Ok(());
		}
		let realms: Vec<u32> = self.open.keys().copied().collect();
		for realm in realms {
			self.flush(realm)?;
		}
		Ok(())
	}

	/// Checks a parsed line and adds it to its realm's batch (flushing a
	/// full one). The inner error refuses the line; the outer ends the run.
	fn take(&mut self, line: Record, parsed: Parsed) -> Result<Result<(), LineError>, ImportError> {
		let realm = match self.realm(&parsed.realm)? {
			Some(realm) => realm,
			None => return Ok(Err(LineError::UnknownRealm(parsed.realm))),
		};
		for profile in parsed.impus.iter().map(|u| u.profile).collect::<HashSet<_>>() {
			if !self.profile(realm, profile)? {
				return Ok(Err(LineError::UnknownProfile { realm: parsed.realm, profile }));
			}
		}
		match in_vault(&self.vault, &parsed.subscriber)? {
			InVault::New => {},
			InVault::Already => {
				self.planned.already += 1;
				self.progress.skipped();
				return Ok(Ok(()));
			},
			InVault::Repeated => return Ok(Err(LineError::Repeated)),
			InVault::Taken(name) => return Ok(Err(LineError::Taken(name))),
		}
		let open = self.open.entry(realm).or_default();
		let names = identities(&parsed.subscriber);
		if let Some((_, name)) = names.iter().find(|n| open.names.contains(n)) {
			return Ok(Err(LineError::Taken(name.clone())));
		}
		let cost = self.limit.cost.of(&parsed);
		let full = open.lines.len() >= self.limit.subscribers
			|| open.weight.saturating_add(cost) > self.limit.weight;
		if full && !open.lines.is_empty() {
			self.flush(realm)?;
		}
		let open = self.open.entry(realm).or_default();
		if open.lines.is_empty() {
			open.weight = self.limit.cost.call;
		}
		open.names.extend(names);
		open.weight = open.weight.saturating_add(cost);
		open.lines.push((line, parsed));
		Ok(Ok(()))
	}

	/// Writes a realm's open batch to the vault and sends it on. A line
	/// whose identity the vault turns out to hold (another process wrote
	/// it since the line was checked) is refused and the rest written.
	fn flush(&mut self, realm: u32) -> Result<(), ImportError> {
		let Some(mut open) = self.open.remove(&realm) else { return Ok(()) };
		let block = self.finalized_number()?;
		loop {
			if open.lines.is_empty() {
				return Ok(());
			}
			let subscribers: Vec<Subscriber> =
				open.lines.iter().map(|(_, p)| p.subscriber.clone()).collect();
			let started = std::time::Instant::now();
			let written = self.vault.put_new(&subscribers, block);
			self.planned.vault_time += started.elapsed();
			match written {
				Ok(handles) => {
					let entries = open
						.lines
						.iter()
						.zip(handles)
						.map(|((line, parsed), handle)| Entry {
							line: *line,
							handle,
							call: call_entry(parsed),
						})
						.collect();
					// A closed channel: the submitter stopped; its error is the
					// run's, and these entries stay pending for the next run.
					let _ = self.send.blocking_send(Batch { realm, entries });
					return Ok(());
				},
				Err(VaultError::IdentityTaken(name)) => {
					let held = |p: &Parsed| {
						p.subscriber.subscription == name
							|| identities(&p.subscriber).iter().any(|(_, n)| *n == name)
					};
					let Some(at) = open.lines.iter().position(|(_, p)| held(p)) else {
						return Err(VaultError::IdentityTaken(name).into());
					};
					let (line, _) = open.lines.remove(at);
					self.refuse(Refusal { record: line, reason: LineError::Taken(name) });
				},
				Err(e) => return Err(e.into()),
			}
		}
	}

	fn refuse(&mut self, refusal: Refusal) {
		self.progress.refused(&refusal);
		self.planned.refused.push(refusal);
	}

	fn finalized_number(&self) -> Result<u64, ImportError> {
		let at =
			self.runtime.block_on(self.client.at_current_block()).map_err(ChainError::subxt)?;
		Ok(at.block_number())
	}

	fn realm(&mut self, name: &str) -> Result<Option<u32>, ImportError> {
		if let Some(known) = self.realms.get(name) {
			return Ok(*known);
		}
		let found = self.runtime.block_on(provision::find_realm(&self.client, name))?;
		self.realms.insert(name.to_string(), found);
		Ok(found)
	}

	fn profile(&mut self, realm: u32, profile: u32) -> Result<bool, ImportError> {
		if let Some(known) = self.profiles.get(&(realm, profile)) {
			return Ok(*known);
		}
		let found = self.runtime.block_on(provision::has_profile(&self.client, realm, profile))?;
		self.profiles.insert((realm, profile), found);
		Ok(found)
	}
}

/// Every identity the vault finds a subscriber by.
fn identities(subscriber: &Subscriber) -> Vec<(Kind, String)> {
	let impis = subscriber.impis.iter().map(|i| (Kind::Impi, i.identity.clone()));
	impis.chain(subscriber.impus.iter().map(|u| (Kind::Impu, u.clone()))).collect()
}

fn in_vault(vault: &Vault, subscriber: &Subscriber) -> Result<InVault, VaultError> {
	let names = identities(subscriber);
	let mut holders = Vec::with_capacity(names.len());
	for (kind, name) in &names {
		holders.push(vault.handle_of(*kind, name)?);
	}
	// The first identity the vault holds, and under which handle.
	let Some((held, first)) = holders.iter().zip(&names).find_map(|(h, (_, n))| h.zip(Some(n)))
	else {
		return Ok(InVault::New);
	};
	let taken = || Ok(InVault::Taken(first.clone()));
	if holders.iter().any(|h| *h != Some(held)) {
		return taken();
	}
	let same = vault.get(&held)?.is_some_and(|record| {
		record.subscription == subscriber.subscription && identities(&record) == names
	});
	match (same, vault.is_pending(&held)?) {
		(true, false) => Ok(InVault::Already),
		(true, true) => Ok(InVault::Repeated),
		(false, _) => taken(),
	}
}

/// A public identity's attributes, as the chain's calls take them.
pub fn attributes(chain: &format::ImpuChain) -> ImpuAttributes {
	ImpuAttributes {
		kind: match chain.kind {
			ImpuKind::PublicIdentity => ChainKind::PublicIdentity,
			ImpuKind::DistinctPsi => ChainKind::DistinctPsi,
			ImpuKind::WildcardPsi => ChainKind::WildcardPsi,
		},
		barred: chain.barred,
		can_register: chain.can_register,
		implicit_set: chain.implicit_set,
		service_profile: chain.profile,
		charging: chain.charging,
		roaming: BoundedVec(chain.roaming.iter().cloned().map(BoundedVec).collect()),
	}
}

/// The `import_subscribers` entry of a subscriber: its subscription, IMPIs
/// and IMPUs under their pseudonyms, and its links.
pub fn call_entry(parsed: &Parsed) -> SubscriberImport {
	let subscriber = &parsed.subscriber;
	let id = |kind, name: &str| H256(subscriber.pseudonym(kind, name));
	let impis = subscriber
		.impis
		.iter()
		.zip(&parsed.impis)
		.map(|(secrets, chain)| ImpiImport {
			impi: id(Kind::Impi, &secrets.identity),
			schemes: Static(chain.schemes),
			default_scheme: Static(chain.default_scheme),
		})
		.collect();
	let impus = subscriber
		.impus
		.iter()
		.zip(&parsed.impus)
		.map(|(name, chain)| ImpuImport {
			impu: id(Kind::Impu, name),
			attributes: attributes(chain),
		})
		.collect();
	SubscriberImport {
		subscription: H256(subscriber.handle()),
		impis: BoundedVec(impis),
		impus: BoundedVec(impus),
		links: BoundedVec(parsed.links.clone()),
	}
}
