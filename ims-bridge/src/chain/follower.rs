//! Keeps the [`Index`] at the finalized head (design note: `docs/index.md`).
//!
//! At start the whole subscriber model is read at the finalized head:
//! realms, every IMPI record, and every IMPU's SAR view as the runtime
//! builds it, `IdentityApi::server_assignment_page` by page of 256. Then
//! each finalized block is read in order (blocks missed while the
//! connection was down are fetched by number): its identity events name
//! what changed, and only those identities are read again at that block,
//! `IdentityApi::server_assignments` answering up to 256 per call. Both
//! calls also end an answer at a size budget (2 MiB of views). Bulk
//! imports are no exception: each item of `import` emits the event of the
//! call it stands for, and `import_subscribers` one `SubscriberImported`
//! per subscriber, naming its identities. Only a gap too long to replay
//! reloads everything (logged, and counted in
//! `ims_bridge_index_loads_total{reason="gap"}`).

use super::reported::{registrations_of, state_of};
use super::{ims, ChainError, Client};
use crate::index::{At, ImpiEntry, Index, Store, Update};
use crate::journal::Journal;
use crate::metrics::Metrics;
use futures::{StreamExt, TryStreamExt};
use ims_primitives::limits::MAX_VIEWS_PER_CALL;
use ims_primitives::{
	ImpiId, ImpuId, Name, RealmId, RegistrationView, ServerAssignmentView as View,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};
use subxt::client::{ClientAtBlock, OnlineClientAtBlockImpl};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

pub(super) type AtBlock = ClientAtBlock<super::Config, OnlineClientAtBlockImpl<super::Config>>;

/// A gap longer than this is not replayed block by block: everything is
/// read again at the new head.
pub(super) const MAX_REPLAY: u64 = 256;
/// Views asked of the runtime in one call (its own cap).
const PER_CALL: usize = MAX_VIEWS_PER_CALL as usize;
/// IMPI records read at once when a block touched many.
const IMPIS_IN_FLIGHT: usize = 32;

fn h256(bytes: [u8; 32]) -> ImpuId {
	ImpuId::from(bytes)
}

fn at_of(at: &AtBlock) -> At {
	At { number: at.block_number() as u32, hash: at.block_hash().0 }
}

async fn realms(at: &AtBlock) -> Result<HashMap<String, RealmId>, ChainError> {
	let mut out = HashMap::new();
	let mut entries = at
		.storage()
		.iter(ims::storage().identity().realms(), ())
		.await
		.map_err(ChainError::subxt)?;
	while let Some(entry) = entries.next().await {
		let entry = entry.map_err(ChainError::subxt)?;
		let (realm,) =
			entry.key().map_err(ChainError::subxt)?.decode().map_err(ChainError::subxt)?;
		let info = entry.value().decode().map_err(ChainError::subxt)?;
		out.insert(String::from_utf8_lossy(&info.name.0).to_ascii_lowercase(), realm);
	}
	Ok(out)
}

async fn impi_entry(at: &AtBlock, impi: ImpiId) -> Result<Option<ImpiEntry>, ChainError> {
	let entry = ims::storage().identity().impis();
	let value = at
		.storage()
		.try_fetch(entry, (subxt::utils::H256(impi.0),))
		.await
		.map_err(ChainError::subxt)?;
	let Some(value) = value else { return Ok(None) };
	Ok(Some(entry_of(value.decode().map_err(ChainError::subxt)?)))
}

fn entry_of(record: ims::runtime_types::pallet_ims_identity::types::ImpiRecord) -> ImpiEntry {
	ImpiEntry {
		subscription: h256(record.subscription.0),
		schemes: record.schemes.0,
		default_scheme: record.default_scheme.0,
		credential_epoch: record.credential_epoch,
	}
}

/// The SAR views of `impus` at `at` (`None`: no such identity there). The
/// runtime answers a leading run of each call's identities (at most
/// [`PER_CALL`], and fewer once its size budget is spent); the next call
/// starts after the last one answered.
async fn views(
	at: &AtBlock,
	impus: Vec<ImpuId>,
) -> Result<Vec<(ImpuId, Option<View>)>, ChainError> {
	let mut out = Vec::with_capacity(impus.len());
	let mut rest = impus.as_slice();
	while !rest.is_empty() {
		let chunk = rest.get(..PER_CALL).unwrap_or(rest);
		let asked = chunk.iter().map(|impu| subxt::utils::H256(impu.0)).collect();
		let call = ims::runtime_apis().identity_api().server_assignments(asked);
		let answers = at.runtime_apis().call(call).await.map_err(ChainError::subxt)?;
		// No answer at all (or more than asked) would never end.
		if answers.is_empty() || answers.len() > chunk.len() {
			return Err(ChainError::ViewCount { asked: chunk.len(), answered: answers.len() });
		}
		let answered = answers.len();
		let answers = answers.into_iter().map(|answer| answer.ok().map(|view| view.0));
		out.extend(chunk.iter().copied().zip(answers));
		rest = rest.get(answered..).unwrap_or_default();
	}
	Ok(out)
}

/// Every public identity's SAR view at `at`, page by page in storage order,
/// into `store` (a page at a time: the views as the runtime sends them are
/// several times the size of their compact form).
async fn all_views(at: &AtBlock, store: &mut Store) -> Result<(), ChainError> {
	let mut after = None;
	loop {
		let call = ims::runtime_apis().identity_api().server_assignment_page(
			after.map(|impu: ImpuId| subxt::utils::H256(impu.0)),
			MAX_VIEWS_PER_CALL,
		);
		let page = at.runtime_apis().call(call).await.map_err(ChainError::subxt)?.0;
		for (impu, view) in page.views {
			store.put_impu(impu, Some(view));
		}
		match page.next {
			Some(next) => after = Some(next),
			None => return Ok(()),
		}
	}
}

/// Why the whole subscriber model is read.
#[derive(Clone, Copy, Debug)]
enum Load {
	/// The index is empty: the bridge has just started.
	Start,
	/// Finalized blocks went by, too many to replay.
	Gap,
}

impl Load {
	fn label(self) -> &'static str {
		match self {
			Load::Start => "start",
			Load::Gap => "gap",
		}
	}
}

/// Reads the whole subscriber model at `at`, counted in
/// `ims_bridge_index_loads_total{reason}` and logged with its duration.
async fn load(at: &AtBlock, metrics: &Metrics, why: Load) -> Result<Store, ChainError> {
	let started = Instant::now();
	let store = read_everything(at).await?;
	metrics.index_loads.with_label_values(&[why.label()]).inc();
	let (impus, impis) = store.len();
	tracing::info!(
		block = at.block_number(),
		impus,
		impis,
		took = ?started.elapsed(),
		reason = why.label(),
		"subscriber model read in full"
	);
	Ok(store)
}

/// Reads the whole subscriber model at `at`.
async fn read_everything(at: &AtBlock) -> Result<Store, ChainError> {
	let mut store = Store::default();
	let mut records = at
		.storage()
		.iter(ims::storage().identity().impis(), ())
		.await
		.map_err(ChainError::subxt)?;
	while let Some(entry) = records.next().await {
		let entry = entry.map_err(ChainError::subxt)?;
		let (impi,) =
			entry.key().map_err(ChainError::subxt)?.decode().map_err(ChainError::subxt)?;
		let record = entry.value().decode().map_err(ChainError::subxt)?;
		store.put_impi(h256(impi.0), Some(entry_of(record)));
	}
	all_views(at, &mut store).await?;
	store.set_realms(realms(at).await?);
	Ok(store)
}

/// What one block's identity events ask to read again.
#[derive(Default, Debug)]
struct Touched {
	impus: BTreeSet<ImpuId>,
	/// Registrations recorded, in block order, with the members the chain
	/// wrote each to: applied from the events alone.
	registrations: Vec<(ImpuId, RegistrationView, u32)>,
	impis: BTreeSet<ImpiId>,
	subscriptions: BTreeSet<ImpuId>,
	realms: BTreeSet<RealmId>,
	profiles: BTreeSet<(RealmId, u32)>,
	realm_names: bool,
}

fn touched(events: &subxt::events::Events<super::Config>) -> Result<Touched, ChainError> {
	use ims::identity::events as e;
	let mut t = Touched::default();
	for event in events.iter() {
		let event = event.map_err(ChainError::subxt)?;
		if event.pallet_name() != "Identity" {
			continue;
		}
		macro_rules! on {
			($ty:ty, |$ev:ident| $body:expr) => {
				if let Some(decoded) = event.decode_fields_as::<$ty>() {
					let $ev = decoded.map_err(ChainError::subxt)?;
					$body;
					continue;
				}
			};
		}
		on!(e::RealmCreated, |ev| {
			let _ = ev;
			t.realm_names = true
		});
		on!(e::RealmOwnerChanged, |ev| {
			let _ = ev;
			t.realm_names = true
		});
		on!(e::RealmRemoved, |ev| {
			t.realm_names = true;
			t.realms.insert(ev.realm);
		});
		on!(e::SubscriptionCreated, |ev| { t.subscriptions.insert(h256(ev.subscription.0)) });
		on!(e::SubscriptionErased, |ev| { t.subscriptions.insert(h256(ev.subscription.0)) });
		on!(e::ImpiCreated, |ev| {
			t.impis.insert(h256(ev.impi.0));
			t.subscriptions.insert(h256(ev.subscription.0));
		});
		on!(e::ImpiUpdated, |ev| { t.impis.insert(h256(ev.impi.0)) });
		on!(e::CredentialsRotated, |ev| { t.impis.insert(h256(ev.impi.0)) });
		on!(e::ImpiRemoved, |ev| { t.impis.insert(h256(ev.impi.0)) });
		on!(e::ImpuCreated, |ev| {
			t.impus.insert(h256(ev.impu.0));
			t.subscriptions.insert(h256(ev.subscription.0));
		});
		on!(e::ImpuUpdated, |ev| { t.impus.insert(h256(ev.impu.0)) });
		on!(e::ImpuBarred, |ev| { t.impus.insert(h256(ev.impu.0)) });
		on!(e::ImpuUnbarred, |ev| { t.impus.insert(h256(ev.impu.0)) });
		on!(e::ServiceProfileAssigned, |ev| { t.impus.insert(h256(ev.impu.0)) });
		on!(e::RoamingSet, |ev| { t.impus.insert(h256(ev.impu.0)) });
		on!(e::ImplicitSetChanged, |ev| { t.impus.insert(h256(ev.impu.0)) });
		on!(e::ImplicitSetDefaultChanged, |ev| { t.subscriptions.insert(h256(ev.subscription.0)) });
		on!(e::ImpuRemoved, |ev| { t.impus.insert(h256(ev.impu.0)) });
		on!(e::Linked, |ev| {
			t.impus.insert(h256(ev.impu.0));
			t.impis.insert(h256(ev.impi.0));
		});
		on!(e::Unlinked, |ev| {
			t.impus.insert(h256(ev.impu.0));
			t.impis.insert(h256(ev.impi.0));
		});
		on!(e::ServiceProfileStored, |ev| { t.profiles.insert((ev.realm, ev.profile)) });
		on!(e::ServiceProfileRemoved, |ev| { t.profiles.insert((ev.realm, ev.profile)) });
		on!(e::IfcSetStored, |ev| { t.realms.insert(ev.realm) });
		on!(e::IfcSetRemoved, |ev| { t.realms.insert(ev.realm) });
		on!(e::ApplicationServerStored, |ev| { t.realms.insert(ev.realm) });
		on!(e::ApplicationServerRemoved, |ev| { t.realms.insert(ev.realm) });
		on!(e::ChargingInformationStored, |ev| { t.realms.insert(ev.realm) });
		on!(e::ChargingInformationRemoved, |ev| { t.realms.insert(ev.realm) });
		// Its items' own events (`SubscriptionCreated`, `ImpiCreated`...)
		// precede it in the block and name everything it changed.
		on!(e::Imported, |ev| {
			let _ = ev;
		});
		// A new subscription whose identities the event names: nothing else
		// can reach them yet, so its record need not be read.
		on!(e::SubscriberImported, |ev| {
			t.impus.extend(ev.impus.0.iter().map(|impu| h256(impu.0)));
			t.impis.extend(ev.impis.0.iter().map(|impi| h256(impi.0)));
		});
		on!(e::RegistrationRecorded, |ev| {
			// The chain bounds a name as `Name` does.
			let scscf = ev.scscf.map(|name| Name::truncate_from(name.0));
			let registration = RegistrationView { state: state_of(ev.state), scscf };
			t.registrations.push((h256(ev.impu.0), registration, ev.members));
		});
		// The identity is gone: its view (none) is read.
		on!(e::RegistrationSkipped, |ev| { t.impus.insert(h256(ev.impu.0)) });
	}
	Ok(t)
}

/// Reads again, at `at`, what a block's events touched.
async fn refresh(index: &Index, at: &AtBlock, t: Touched) -> Result<Update, ChainError> {
	let mut impus: BTreeSet<ImpuId> = t.impus.clone();
	let mut impis: BTreeSet<ImpiId> = t.impis.clone();
	// An identity's implicit set and subscription move with it; the IMPUs
	// linked to an IMPI are of its subscription.
	let subscriptions: BTreeSet<ImpuId> = t
		.subscriptions
		.iter()
		.copied()
		.chain(t.impus.iter().filter_map(|u| index.subscription_of(u)))
		.chain(t.impis.iter().filter_map(|i| index.impi(i).map(|e| e.subscription)))
		.collect();
	impus.extend(index.impus_of_subscriptions(&subscriptions));
	impis.extend(index.impis_of_subscriptions(&subscriptions));
	let listed: Vec<ImpuId> = impus.iter().copied().collect();
	impus.extend(index.dependents(&listed, None));
	for realm in &t.realms {
		impus.extend(index.dependents(&[], Some((*realm, None))));
	}
	for (realm, profile) in &t.profiles {
		impus.extend(index.dependents(&[], Some((*realm, Some(*profile)))));
	}
	// New members of a subscription are found on chain, not in the index.
	for subscription in &subscriptions {
		let entry = ims::storage().identity().subscriptions();
		let value = at
			.storage()
			.try_fetch(entry, (subxt::utils::H256(subscription.0),))
			.await
			.map_err(ChainError::subxt)?;
		if let Some(value) = value {
			let record = value.decode().map_err(ChainError::subxt)?;
			impus.extend(record.impus.0.iter().map(|u| h256(u.0)));
			impis.extend(record.impis.0.iter().map(|i| h256(i.0)));
		}
	}
	let registrations = registrations_of(index, t.registrations, &mut impus);
	// A bulk import names thousands of IMPIs a block: read them side by side.
	let impi_entries: Vec<_> = futures::stream::iter(impis)
		.map(|impi| async move { Ok::<_, ChainError>((impi, impi_entry(at, impi).await?)) })
		.buffered(IMPIS_IN_FLIGHT)
		.try_collect()
		.await?;
	let realms = if t.realm_names || !t.realms.is_empty() { Some(realms(at).await?) } else { None };
	Ok(Update {
		at: at_of(at),
		impus: views(at, impus.into_iter().collect()).await?,
		impis: impi_entries,
		registrations,
		realms,
		full: false,
	})
}

/// An identity the chain has barred or removed, with its view from before.
pub type Terminated = (ImpuId, Arc<ims_primitives::ServerAssignmentView>);

/// Public identities an update bars or removes, that were neither before:
/// their S-CSCF must be told (RTR).
fn terminated(index: &Index, update: &Update) -> Vec<Terminated> {
	update
		.impus
		.iter()
		.filter_map(|(impu, view)| {
			let before = index.impu(impu)?;
			let gone = match view {
				None => true,
				Some(after) => after.impu.barred && !before.impu.barred,
			};
			gone.then_some((*impu, before))
		})
		.collect()
}

/// After a full load: `removed` (identities the load left out) and every
/// identity the chain holds barred while an S-CSCF still holds it go for
/// RTR. Barrings and removals that came while no bridge followed the chain
/// (or during a gap too long to replay) were seen by no block this process
/// applied.
fn owe_terminations(
	index: &Index,
	mut removed: Vec<Terminated>,
	terminations: &mpsc::UnboundedSender<Vec<Terminated>>,
) {
	removed.retain(|(_, view)| Index::held_at_scscf(view));
	for (impu, view) in index.barred_but_held() {
		if !removed.iter().any(|(gone, _)| *gone == impu) {
			removed.push((impu, view));
		}
	}
	if !removed.is_empty() {
		tracing::info!(
			identities = removed.len(),
			"barred or removed identities still held by an S-CSCF; RTR owed"
		);
		let _ = terminations.send(removed);
	}
}

async fn apply_block(
	index: &Index,
	journal: &Journal,
	account: &subxt::utils::AccountId32,
	terminations: &mpsc::UnboundedSender<Vec<Terminated>>,
	at: &AtBlock,
) -> Result<(), ChainError> {
	let events = at.events().fetch().await.map_err(ChainError::subxt)?;
	let t = touched(&events)?;
	let update = refresh(index, at, t).await?;
	let gone = terminated(index, &update);
	index.apply(update);
	if !gone.is_empty() {
		let _ = terminations.send(gone);
	}
	// Audit records the chain has now finalized leave the journal.
	let next = ims::runtime_apis().audit_api().next_sequence(*account);
	let next = at.runtime_apis().call(next).await.map_err(ChainError::subxt)?;
	journal.confirm_audit(next).await?;
	Ok(())
}

fn report(index: &Index, metrics: &Metrics, journal: &Journal, head: u64) {
	let (impus, impis) = index.len();
	metrics.identities.with_label_values(&["impu"]).set(impus as i64);
	metrics.identities.with_label_values(&["impi"]).set(impis as i64);
	metrics.pending_registrations.set(index.pending_registrations() as i64);
	if let Some(at) = index.at() {
		metrics.finalized_block.set(i64::from(at.number));
		metrics.chain_lag.set(head.saturating_sub(u64::from(at.number)) as i64);
	}
	if let Ok((audit, registrations)) = journal.depth() {
		metrics.audit_queue.set(audit as i64);
		metrics.registration_queue.set(registrations as i64);
	}
}

/// What the follower works with.
pub struct Follower {
	/// The chain.
	pub client: Client,
	/// The index it keeps current.
	pub index: Arc<Index>,
	/// The journal whose finalized records it confirms.
	pub journal: Journal,
	/// Where it reports.
	pub metrics: Arc<Metrics>,
	/// The bridge's account (its audit sequence numbers).
	pub account: subxt::utils::AccountId32,
	/// Where identities a block bars or removes go (for RTR).
	pub terminations: mpsc::UnboundedSender<Vec<Terminated>>,
	/// The index snapshot to resume from at start, if any.
	pub snapshot: Option<std::path::PathBuf>,
}

/// Follows finalized blocks into the index until `shutdown` is cancelled.
/// `ready` turns true once the first full load is in. Errors are logged and
/// retried with backoff; the index keeps serving what it has meanwhile.
pub async fn follow(follower: Follower, ready: watch::Sender<bool>, shutdown: CancellationToken) {
	let mut snapshot = follower.snapshot.clone();
	let mut backoff = Duration::from_millis(200);
	loop {
		let outcome = tokio::select! {
			outcome = follow_once(&follower, &mut snapshot, &ready) => outcome,
			_ = shutdown.cancelled() => return,
		};
		if let Err(e) = outcome {
			tracing::warn!(error = %e, retry_in = ?backoff, "following the chain failed");
		}
		tokio::select! {
			_ = tokio::time::sleep(backoff) => {},
			_ = shutdown.cancelled() => return,
		}
		backoff = (backoff * 2).min(Duration::from_secs(10));
	}
}

async fn follow_once(
	follower: &Follower,
	snapshot: &mut Option<std::path::PathBuf>,
	ready: &watch::Sender<bool>,
) -> Result<(), ChainError> {
	let Follower { client, index, journal, metrics, account, terminations, .. } = follower;
	let mut blocks = client.stream_blocks().await.map_err(ChainError::subxt)?;
	if index.at().is_none() {
		let at = client.at_current_block().await.map_err(ChainError::subxt)?;
		// Tried once: a snapshot that cannot be resumed from is not tried
		// again on every reconnection.
		let resumed = match snapshot.take() {
			Some(path) => super::snapshots::resume(client, &path, &at).await,
			None => None,
		};
		match resumed {
			Some((mark, store)) => {
				index.install(store, mark.at);
				metrics.index_loads.with_label_values(&["snapshot"]).inc();
			},
			None => {
				let store = load(&at, metrics, Load::Start).await?;
				index.install(store, at_of(&at));
			},
		}
		owe_terminations(index, Vec::new(), terminations);
	}
	while let Some(block) = blocks.next().await {
		let block = block.map_err(ChainError::subxt)?;
		let head = block.number();
		let last = index.at().map(|a| u64::from(a.number)).unwrap_or(0);
		if head > last && head - last > MAX_REPLAY {
			let at = block.at().await.map_err(ChainError::subxt)?;
			tracing::warn!(from = last, to = head, "gap too long to replay; reloading");
			let store = load(&at, metrics, Load::Gap).await?;
			let removed = index.left_out_by(&store);
			index.install(store, at_of(&at));
			owe_terminations(index, removed, terminations);
		} else {
			for number in last + 1..=head {
				let at = client.at_block(number).await.map_err(ChainError::subxt)?;
				apply_block(index, journal, account, terminations, &at).await?;
			}
		}
		report(index, metrics, journal, head);
		// Serving starts once the index is at the finalized head: at once
		// after a full read, after the replay when resumed from a snapshot.
		ready.send_if_modified(|ready| !std::mem::replace(ready, true));
	}
	Err(ChainError::BlocksEnded)
}
