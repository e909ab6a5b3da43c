//! `ims-bridge import --from pyhss mysql://… --realm R`: a live PyHSS
//! database (its SQLAlchemy schema: `ims_subscriber`, `subscriber`,
//! `auc`) read a chunk of IMS subscribers at a time and turned into lines
//! of the import format (`docs/import.md` "From PyHSS"). PyHSS keeps no
//! realm: its identities are named in the one the operator gives.
//!
//! - `rows`: the rows, a chunk of `ims_subscriber_id`s at a time.
//! - `map`: one IMS subscriber as a line, or why it cannot be one.

mod map;
mod rows;

use super::database::{self, Outbox};
use super::reader::Lines;
use super::{Placement, Progress, Record, SourceError};
use sqlx::mysql::MySqlPool;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// IMS subscribers read per chunk.
const CHUNK: u32 = 2000;

/// Connects to the database at `url` and starts reading it; the lines come
/// out of the returned [`Lines`] in `ims_subscriber_id` order. The task's
/// result is the notes of what could not be carried over.
pub async fn open(
	url: &str,
	placement: Placement,
	progress: Arc<dyn Progress>,
) -> Result<(Lines, JoinHandle<Vec<String>>), SourceError> {
	let pool = database::connect(url).await?;
	let total = rows::count(&pool).await?;
	let (outbox, lines) = Outbox::new(total, progress);
	Ok((lines, tokio::spawn(read(pool, placement, outbox))))
}

async fn read(pool: MySqlPool, placement: Placement, mut outbox: Outbox) -> Vec<String> {
	let mut after = 0;
	loop {
		let chunk = match rows::chunk(&pool, after, CHUNK).await {
			Ok(chunk) => chunk,
			Err(e) => {
				outbox.failed(e).await;
				break;
			},
		};
		let Some(last) = chunk.last() else { break };
		after = last.id;
		for row in &chunk {
			let record = Record::ImsSubscriber(row.id.max(0) as u64);
			if !outbox.mapped(record, map::subscriber(row, &placement)).await {
				pool.close().await;
				return outbox.notes();
			}
		}
	}
	pool.close().await;
	outbox.notes()
}
