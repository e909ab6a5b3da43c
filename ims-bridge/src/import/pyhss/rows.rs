//! PyHSS's rows the importer reads: each `ims_subscriber` with its
//! `subscriber` (by IMSI: whether it is enabled) and that subscriber's
//! `auc` (K, OPc, AMF, SQN), a chunk of `ims_subscriber_id`s at a time.

use crate::import::database::query;
use crate::import::SourceError;
use sqlx::mysql::{MySqlPool, MySqlRow};
use sqlx::Row;
use zeroize::Zeroizing;

/// An IMS subscriber with what PyHSS answers Cx from.
pub struct ImsSubscriber {
	pub id: i64,
	pub imsi: Option<String>,
	pub msisdn: Option<String>,
	/// More MSISDNs, comma-separated.
	pub msisdn_list: Option<String>,
	/// The Jinja2 template PyHSS renders the iFCs from.
	pub ifc_path: Option<String>,
	/// `None`: no `subscriber` row has its IMSI.
	pub enabled: Option<bool>,
	/// `None`: its subscriber has no AuC entry.
	pub auc: Option<Auc>,
}

/// SIM keys, hex as PyHSS keeps them.
pub struct Auc {
	pub ki: Zeroizing<String>,
	pub opc: Zeroizing<String>,
	pub amf: String,
	pub sqn: Option<i64>,
}

/// How many IMS subscribers there are.
pub async fn count(pool: &MySqlPool) -> Result<u64, SourceError> {
	let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ims_subscriber")
		.fetch_one(pool)
		.await
		.map_err(query("ims_subscriber"))?;
	Ok(count.max(0) as u64)
}

/// The next `most` IMS subscribers after id `after`.
pub async fn chunk(
	pool: &MySqlPool,
	after: i64,
	most: u32,
) -> Result<Vec<ImsSubscriber>, SourceError> {
	let rows = sqlx::query(
		"SELECT CAST(s.ims_subscriber_id AS SIGNED) AS id, s.imsi, s.msisdn, s.msisdn_list, \
		 s.ifc_path, CAST(b.enabled AS SIGNED) AS enabled, CAST(a.auc_id AS SIGNED) AS auc, \
		 a.ki, a.opc, a.amf, CAST(a.sqn AS SIGNED) AS sqn \
		 FROM ims_subscriber s \
		 LEFT JOIN subscriber b ON b.imsi = s.imsi \
		 LEFT JOIN auc a ON a.auc_id = b.auc_id \
		 WHERE s.ims_subscriber_id > ? ORDER BY s.ims_subscriber_id LIMIT ?",
	)
	.bind(after)
	.bind(most)
	.fetch_all(pool)
	.await
	.map_err(query("ims_subscriber"))?;
	rows.iter().map(subscriber).collect::<Result<_, _>>().map_err(query("ims_subscriber"))
}

fn subscriber(row: &MySqlRow) -> Result<ImsSubscriber, sqlx::Error> {
	let auc = match row.try_get::<Option<i64>, _>("auc")? {
		None => None,
		Some(_) => Some(Auc {
			ki: Zeroizing::new(row.try_get("ki")?),
			opc: Zeroizing::new(row.try_get("opc")?),
			amf: row.try_get("amf")?,
			sqn: row.try_get("sqn")?,
		}),
	};
	Ok(ImsSubscriber {
		id: row.try_get("id")?,
		imsi: row.try_get("imsi")?,
		msisdn: row.try_get("msisdn")?,
		msisdn_list: row.try_get("msisdn_list")?,
		ifc_path: row.try_get("ifc_path")?,
		enabled: row.try_get::<Option<i64>, _>("enabled")?.map(|e| e != 0),
		auc,
	})
}
