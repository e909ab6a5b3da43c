//! `ims-bridge import --from fhoss mysql://…`: a live FHoSS database (its
//! `hss_db` schema) read a chunk of subscriptions at a time and turned
//! into lines of the import format, which the run then takes as it takes
//! a file's (`docs/import.md` "From FHoSS").
//!
//! - `services`: the realm service data (application servers, charging,
//!   iFCs, profiles), put on chain before the subscribers that use it.
//! - `rows`: the subscription tables' rows, a chunk of `imsu` ids at a
//!   time.
//! - `map`: one subscription's rows as a line, or why they cannot be one.

mod map;
mod rows;
mod services;

pub use services::Put;

use super::database::{self, Outbox};
use super::reader::Lines;
use super::{ImportError, Progress, Record, SourceError};
use crate::chain::Client;
use rows::{Chunk, Impi, Impu};
use sqlx::mysql::MySqlPool;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use subxt_signer::sr25519::Keypair;
use tokio::task::JoinHandle;

/// Subscriptions read per chunk.
const CHUNK: u32 = 2000;

/// Connects to the database at `url`, puts its service data into the
/// realms of its subscribers (signing with `signer`), and starts reading
/// the subscribers; their lines come out of the returned [`Lines`] in
/// `imsu.id` order, then a refusal for each identity no subscription
/// holds. The task's result is the notes of what could not be carried
/// over.
pub async fn open(
	url: &str,
	(client, signer): (&Client, &Keypair),
	progress: Arc<dyn Progress>,
) -> Result<(Lines, JoinHandle<Vec<String>>, Put), ImportError> {
	let pool = database::connect(url).await?;
	progress.note("putting the realm service data (application servers, charging, iFCs, profiles)");
	let put = services::put(client, signer, &pool).await?;
	for refusal in &put.refused {
		progress.refused(refusal);
	}
	for note in &put.notes {
		progress.note(note);
	}
	let orphans = rows::orphans(&pool).await?;
	let total = rows::count(&pool).await? + (orphans.0.len() + orphans.1.len()) as u64;
	let shared = rows::shared_names(&pool).await?;
	let opc = rows::has_column(&pool, "impi", "opc").await?;
	let (outbox, lines) = Outbox::new(total, progress);
	let reader = Reader { pool, shared, opc, orphans, outbox };
	Ok((lines, tokio::spawn(reader.run()), put))
}

struct Reader {
	pool: MySqlPool,
	/// Subscription names more than one `imsu` has.
	shared: HashSet<String>,
	/// Whether `impi` has an `opc` column.
	opc: bool,
	/// IMPIs of no subscription and IMPUs of no IMPI, refused at the end.
	orphans: (Vec<i64>, Vec<i64>),
	outbox: Outbox,
}

impl Reader {
	async fn run(mut self) -> Vec<String> {
		if let Err(e) = self.read().await {
			self.outbox.failed(e).await;
		}
		self.pool.close().await;
		self.outbox.notes()
	}

	async fn read(&mut self) -> Result<(), SourceError> {
		let mut after = 0;
		loop {
			let chunk = rows::chunk(&self.pool, after, CHUNK, self.opc).await?;
			let Some(last) = chunk.imsus.last() else { break };
			after = last.id;
			if !self.send_chunk(&chunk).await {
				return Ok(());
			}
		}
		let (impis, impus) = std::mem::take(&mut self.orphans);
		let impis = impis
			.into_iter()
			.map(|id| (Record::Impi(id as u64), "it belongs to no IMS subscription"));
		let impus = impus.into_iter().map(|id| {
			(Record::Impu(id as u64), "it is linked to no private identity of a subscription")
		});
		for (record, why) in impis.chain(impus) {
			if !self.outbox.refused(record, why).await {
				break;
			}
		}
		Ok(())
	}

	/// Sends each subscription of the chunk as a line, or its refusal;
	/// `false` when the run stopped taking them.
	async fn send_chunk(&mut self, chunk: &Chunk) -> bool {
		let grouped = Grouped::of(chunk);
		for imsu in &chunk.imsus {
			let rows = grouped.rows(imsu, &self.shared);
			let record = Record::Imsu(imsu.id.max(0) as u64);
			if !self.outbox.mapped(record, map::subscription(&rows)).await {
				return false;
			}
		}
		true
	}
}

/// A chunk's rows grouped by subscription.
struct Grouped<'a> {
	impis: BTreeMap<i64, Vec<&'a Impi>>,
	impus: BTreeMap<i64, &'a Impu>,
	/// The IMPUs each IMPI is linked to.
	links: BTreeMap<i64, Vec<i64>>,
	visited: BTreeMap<i64, Vec<String>>,
}

impl<'a> Grouped<'a> {
	fn of(chunk: &'a Chunk) -> Grouped<'a> {
		let mut grouped = Grouped {
			impis: BTreeMap::new(),
			impus: chunk.impus.iter().map(|u| (u.id, u)).collect(),
			links: BTreeMap::new(),
			visited: BTreeMap::new(),
		};
		for impi in &chunk.impis {
			grouped.impis.entry(impi.id_imsu).or_default().push(impi);
		}
		for (impi, impu) in &chunk.links {
			grouped.links.entry(*impi).or_default().push(*impu);
		}
		for (impu, network) in &chunk.visited {
			grouped.visited.entry(*impu).or_default().push(network.clone());
		}
		grouped
	}

	fn rows(&'a self, imsu: &'a rows::Imsu, shared: &HashSet<String>) -> map::Rows<'a> {
		let impis = self.impis.get(&imsu.id).cloned().unwrap_or_default();
		// Each IMPU of the subscription with the IMPIs it is linked to.
		let mut impus: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
		for impi in &impis {
			for impu in self.links.get(&impi.id).into_iter().flatten() {
				impus.entry(*impu).or_default().push(impi.id);
			}
		}
		let impus = impus
			.into_iter()
			.filter_map(|(id, linked)| self.impus.get(&id).map(|impu| (*impu, linked)))
			.collect();
		let unique_name = shared.contains(&imsu.name).then(|| format!("{}#{}", imsu.name, imsu.id));
		map::Rows { imsu, unique_name, impis, impus, visited: &self.visited }
	}
}
