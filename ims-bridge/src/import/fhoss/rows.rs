//! FHoSS's `hss_db` rows the importer reads, a chunk of subscriptions at a
//! time (`imsu` ids in a range, with their `impi`, `impu`, `impi_impu` and
//! `impu_visited_network` rows). Integers are read as `SIGNED` whatever
//! their column width, so that FHoSS's `int(11)` and `tinyint(4)` columns
//! decode alike.

pub(super) use crate::import::database::query;
use crate::import::SourceError;
use sqlx::mysql::{MySqlPool, MySqlRow};
use sqlx::Row;
use std::collections::HashSet;
use zeroize::Zeroizing;

/// An IMS subscription (`imsu`).
pub struct Imsu {
	pub id: i64,
	pub name: String,
}

/// A private identity (`impi`) and its secrets.
pub struct Impi {
	pub id: i64,
	pub id_imsu: i64,
	pub identity: String,
	/// The SIP Digest password, and AKA's K (zero-padded to 16 bytes).
	pub k: Zeroizing<Vec<u8>>,
	/// A bit per scheme (FHoSS `CxConstants.Auth_Scheme_*`).
	pub auth_scheme: i64,
	pub default_auth_scheme: i64,
	pub amf: Vec<u8>,
	pub op: Zeroizing<Vec<u8>>,
	/// Only in schemas that have the column.
	pub opc: Option<Zeroizing<Vec<u8>>>,
	/// The last SQN used, 12 hex digits.
	pub sqn: String,
}

/// A public identity (`impu`).
pub struct Impu {
	pub id: i64,
	pub identity: String,
	/// 0 public user identity, 1 distinct PSI, 2 wildcarded PSI.
	pub kind: i64,
	pub barring: i64,
	pub id_sp: Option<i64>,
	pub id_implicit_set: i64,
	pub id_charging_info: Option<i64>,
	pub can_register: i64,
	pub display_name: String,
}

/// The rows of a chunk of subscriptions.
#[derive(Default)]
pub struct Chunk {
	pub imsus: Vec<Imsu>,
	/// In `id` order.
	pub impis: Vec<Impi>,
	/// In `id` order, each once.
	pub impus: Vec<Impu>,
	/// (`id_impi`, `id_impu`).
	pub links: Vec<(i64, i64)>,
	/// (`id_impu`, visited network's identity).
	pub visited: Vec<(i64, String)>,
}

/// Whether `table` has `column` (FHoSS added some after its first
/// releases: `impi.opc`, the application servers' third-party
/// registration flags, `spt.registration_type`).
pub(super) async fn has_column(
	pool: &MySqlPool,
	table: &'static str,
	column: &'static str,
) -> Result<bool, SourceError> {
	let count: i64 = sqlx::query_scalar(
		"SELECT COUNT(*) FROM information_schema.columns \
		 WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?",
	)
	.bind(table)
	.bind(column)
	.fetch_one(pool)
	.await
	.map_err(query("the schema's columns"))?;
	Ok(count > 0)
}

/// How many subscriptions there are.
pub async fn count(pool: &MySqlPool) -> Result<u64, SourceError> {
	let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM imsu")
		.fetch_one(pool)
		.await
		.map_err(query("imsu"))?;
	Ok(count.max(0) as u64)
}

/// Subscription names more than one subscription has.
pub async fn shared_names(pool: &MySqlPool) -> Result<HashSet<String>, SourceError> {
	let names: Vec<String> =
		sqlx::query_scalar("SELECT name FROM imsu GROUP BY name HAVING COUNT(*) > 1")
			.fetch_all(pool)
			.await
			.map_err(query("imsu names"))?;
	Ok(names.into_iter().collect())
}

/// The next `most` subscriptions after id `after`, with their rows.
pub async fn chunk(
	pool: &MySqlPool,
	after: i64,
	most: u32,
	opc: bool,
) -> Result<Chunk, SourceError> {
	let imsus: Vec<Imsu> = sqlx::query(
		"SELECT CAST(id AS SIGNED) AS id, name FROM imsu WHERE id > ? ORDER BY id LIMIT ?",
	)
	.bind(after)
	.bind(most)
	.fetch_all(pool)
	.await
	.map_err(query("imsu"))?
	.iter()
	.map(|row| Ok(Imsu { id: row.try_get("id")?, name: row.try_get("name")? }))
	.collect::<Result<_, sqlx::Error>>()
	.map_err(query("imsu"))?;
	let (Some(first), Some(last)) = (imsus.first(), imsus.last()) else {
		return Ok(Chunk::default());
	};
	let range = (first.id, last.id);
	Ok(Chunk {
		impis: impis(pool, range, opc).await?,
		impus: impus(pool, range).await?,
		links: links(pool, range).await?,
		visited: visited(pool, range).await?,
		imsus,
	})
}

/// `impi` rows, with or without the `opc` column.
macro_rules! impi_query {
	($opc:literal) => {
		concat!(
			"SELECT CAST(id AS SIGNED) AS id, CAST(id_imsu AS SIGNED) AS id_imsu, identity, k, ",
			"CAST(auth_scheme AS SIGNED) AS auth_scheme, ",
			"CAST(default_auth_scheme AS SIGNED) AS default_auth_scheme, amf, op, ",
			$opc,
			" AS opc, sqn FROM impi WHERE id_imsu BETWEEN ? AND ? ORDER BY id"
		)
	};
}

async fn impis(
	pool: &MySqlPool,
	(low, high): (i64, i64),
	opc: bool,
) -> Result<Vec<Impi>, SourceError> {
	let sql = if opc { impi_query!("opc") } else { impi_query!("NULL") };
	let rows =
		sqlx::query(sql).bind(low).bind(high).fetch_all(pool).await.map_err(query("impi"))?;
	rows.iter().map(impi).collect::<Result<_, _>>().map_err(query("impi"))
}

fn impi(row: &MySqlRow) -> Result<Impi, sqlx::Error> {
	let secret = |name| row.try_get::<Vec<u8>, _>(name).map(Zeroizing::new);
	Ok(Impi {
		id: row.try_get("id")?,
		id_imsu: row.try_get("id_imsu")?,
		identity: row.try_get("identity")?,
		k: secret("k")?,
		auth_scheme: row.try_get("auth_scheme")?,
		default_auth_scheme: row.try_get("default_auth_scheme")?,
		amf: row.try_get("amf")?,
		op: secret("op")?,
		opc: row.try_get::<Option<Vec<u8>>, _>("opc")?.map(Zeroizing::new),
		sqn: row.try_get("sqn")?,
	})
}

/// The identities linked to the range's private identities, each once.
async fn impus(pool: &MySqlPool, (low, high): (i64, i64)) -> Result<Vec<Impu>, SourceError> {
	let rows = sqlx::query(
		"SELECT DISTINCT CAST(u.id AS SIGNED) AS id, u.identity, CAST(u.type AS SIGNED) AS kind, \
		 CAST(u.barring AS SIGNED) AS barring, CAST(u.id_sp AS SIGNED) AS id_sp, \
		 CAST(u.id_implicit_set AS SIGNED) AS id_implicit_set, \
		 CAST(u.id_charging_info AS SIGNED) AS id_charging_info, \
		 CAST(u.can_register AS SIGNED) AS can_register, u.display_name \
		 FROM impu u JOIN impi_impu l ON l.id_impu = u.id JOIN impi i ON i.id = l.id_impi \
		 WHERE i.id_imsu BETWEEN ? AND ? ORDER BY u.id",
	)
	.bind(low)
	.bind(high)
	.fetch_all(pool)
	.await
	.map_err(query("impu"))?;
	rows.iter().map(impu).collect::<Result<_, _>>().map_err(query("impu"))
}

fn impu(row: &MySqlRow) -> Result<Impu, sqlx::Error> {
	Ok(Impu {
		id: row.try_get("id")?,
		identity: row.try_get("identity")?,
		kind: row.try_get("kind")?,
		barring: row.try_get("barring")?,
		id_sp: row.try_get("id_sp")?,
		id_implicit_set: row.try_get("id_implicit_set")?,
		id_charging_info: row.try_get("id_charging_info")?,
		can_register: row.try_get("can_register")?,
		display_name: row.try_get("display_name")?,
	})
}

async fn links(pool: &MySqlPool, range: (i64, i64)) -> Result<Vec<(i64, i64)>, SourceError> {
	let sql = "SELECT CAST(l.id_impi AS SIGNED), CAST(l.id_impu AS SIGNED) \
	           FROM impi_impu l JOIN impi i ON i.id = l.id_impi \
	           WHERE i.id_imsu BETWEEN ? AND ? ORDER BY l.id";
	pairs(pool, sql, range, "impi_impu").await
}

async fn visited(pool: &MySqlPool, range: (i64, i64)) -> Result<Vec<(i64, String)>, SourceError> {
	let sql = "SELECT DISTINCT CAST(v.id_impu AS SIGNED), n.identity \
	           FROM impu_visited_network v JOIN visited_network n ON n.id = v.id_visited_network \
	           JOIN impi_impu l ON l.id_impu = v.id_impu JOIN impi i ON i.id = l.id_impi \
	           WHERE i.id_imsu BETWEEN ? AND ? ORDER BY n.identity";
	pairs(pool, sql, range, "impu_visited_network").await
}

/// Rows of two columns, for the subscriptions of ids `low..=high`.
async fn pairs<T>(
	pool: &MySqlPool,
	sql: &'static str,
	(low, high): (i64, i64),
	what: &'static str,
) -> Result<Vec<(i64, T)>, SourceError>
where
	T: for<'r> sqlx::Decode<'r, sqlx::MySql> + sqlx::Type<sqlx::MySql> + Send + Unpin,
{
	sqlx::query_as(sql).bind(low).bind(high).fetch_all(pool).await.map_err(query(what))
}

/// Private identities of no subscription, and public identities linked to
/// no private identity of one: the importer reports each, as it cannot
/// place it.
pub async fn orphans(pool: &MySqlPool) -> Result<(Vec<i64>, Vec<i64>), SourceError> {
	let impis = sqlx::query_scalar(
		"SELECT CAST(id AS SIGNED) FROM impi \
		 WHERE id_imsu IS NULL OR id_imsu NOT IN (SELECT id FROM imsu) ORDER BY id",
	)
	.fetch_all(pool)
	.await
	.map_err(query("impi without imsu"))?;
	let impus = sqlx::query_scalar(
		"SELECT CAST(u.id AS SIGNED) FROM impu u \
		 WHERE NOT EXISTS (SELECT 1 FROM impi_impu l JOIN impi i ON i.id = l.id_impi \
		                   JOIN imsu s ON s.id = i.id_imsu WHERE l.id_impu = u.id) \
		 ORDER BY u.id",
	)
	.fetch_all(pool)
	.await
	.map_err(query("impu without impi"))?;
	Ok((impis, impus))
}
