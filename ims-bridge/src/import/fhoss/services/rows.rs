//! FHoSS's service data rows: application servers, charging information,
//! trigger points with their service point triggers, iFCs, shared iFC sets
//! and service profiles. Few and small: read whole.

use super::super::rows::{has_column, query};
use crate::import::SourceError;
use sqlx::mysql::{MySqlPool, MySqlRow};
use sqlx::Row;

/// `application_server` rows, with the columns given for the two
/// third-party registration flags.
macro_rules! servers_query {
	($request:literal, $response:literal) => {
		concat!(
			"SELECT CAST(id AS SIGNED) AS id, server_name, ",
			"CAST(default_handling AS SIGNED) AS default_handling, service_info, ",
			"CAST(udr + pur + snr AS SIGNED) AS sh, CAST(",
			$request,
			" AS SIGNED) AS request, CAST(",
			$response,
			" AS SIGNED) AS response FROM application_server ORDER BY id"
		)
	};
}

/// `spt` rows, with the column given for `registration_type`.
macro_rules! spt_query {
	($registration:literal) => {
		concat!(
			"SELECT CAST(id AS SIGNED) AS id, CAST(id_tp AS SIGNED) AS id_tp, ",
			"CAST(condition_negated AS SIGNED) AS negated, CAST(grp AS SIGNED) AS grp, ",
			"CAST(type AS SIGNED) AS kind, requesturi, method, header, header_content, ",
			"CAST(session_case AS SIGNED) AS session_case, sdp_line, sdp_line_content, ",
			"CAST(",
			$registration,
			" AS SIGNED) AS registration_type FROM spt ORDER BY id_tp, grp, id"
		)
	};
}

/// An application server (`application_server`).
pub struct Server {
	pub id: i64,
	pub server_name: String,
	/// 0 session continued, 1 session terminated.
	pub default_handling: i64,
	pub service_info: String,
	pub include_register_request: bool,
	pub include_register_response: bool,
	/// Whether any Sh permission (`udr`, `pur`, `snr`) is set.
	pub sh: bool,
}

/// Charging function addresses (`charging_info`).
pub struct Charging {
	pub id: i64,
	pub pri_ecf: String,
	pub sec_ecf: String,
	pub pri_ccf: String,
	pub sec_ccf: String,
}

/// A service point trigger (`spt`).
pub struct Spt {
	pub id: i64,
	pub id_tp: i64,
	pub negated: bool,
	pub group: i64,
	/// 0 Request-URI, 1 method, 2 SIP header, 3 session case, 4 SDP line.
	pub kind: i64,
	pub request_uri: Option<String>,
	pub method: Option<String>,
	pub header: Option<String>,
	pub header_content: Option<String>,
	pub session_case: Option<i64>,
	pub sdp_line: Option<String>,
	pub sdp_line_content: Option<String>,
	pub registration_type: i64,
}

/// An initial filter criterion (`ifc`), its trigger point (`tp`) joined.
pub struct Ifc {
	pub id: i64,
	pub id_application_server: Option<i64>,
	pub id_tp: Option<i64>,
	/// The trigger point's `condition_type_cnf`, when it has one.
	pub cnf: Option<bool>,
	/// -1 or NULL both states, 0 registered, 1 unregistered.
	pub profile_part: Option<i64>,
}

/// A service profile (`sp`).
pub struct Profile {
	pub id: i64,
	pub name: String,
	pub cn_service_auth: Option<i64>,
}

/// Every service data row.
pub struct ServiceRows {
	pub servers: Vec<Server>,
	pub charging: Vec<Charging>,
	pub spts: Vec<Spt>,
	pub ifcs: Vec<Ifc>,
	pub profiles: Vec<Profile>,
	/// (`id_sp`, `id_ifc`, `priority`).
	pub profile_ifcs: Vec<(i64, i64, i64)>,
	/// Shared sets: (`id_set`, `id_ifc`, `priority`).
	pub shared: Vec<(i64, i64, i64)>,
	/// (`id_sp`, `id_shared_ifc_set`).
	pub profile_shared: Vec<(i64, i64)>,
}

/// Reads them all.
pub async fn read(pool: &MySqlPool) -> Result<ServiceRows, SourceError> {
	Ok(ServiceRows {
		servers: servers(pool).await?,
		charging: rows(pool, CHARGING, "charging_info", charging).await?,
		spts: spts(pool).await?,
		ifcs: rows(pool, IFCS, "ifc", ifc).await?,
		profiles: rows(pool, PROFILES, "sp", profile).await?,
		profile_ifcs: sqlx::query_as(PROFILE_IFCS)
			.fetch_all(pool)
			.await
			.map_err(query("sp_ifc"))?,
		shared: sqlx::query_as(SHARED).fetch_all(pool).await.map_err(query("shared_ifc_set"))?,
		profile_shared: sqlx::query_as(PROFILE_SHARED)
			.fetch_all(pool)
			.await
			.map_err(query("sp_shared_ifc_set"))?,
	})
}

const CHARGING: &str = "SELECT CAST(id AS SIGNED) AS id, pri_ecf, sec_ecf, pri_ccf, sec_ccf \
                        FROM charging_info ORDER BY id";
const IFCS: &str = "SELECT CAST(i.id AS SIGNED) AS id, \
                    CAST(i.id_application_server AS SIGNED) AS id_application_server, \
                    CAST(i.id_tp AS SIGNED) AS id_tp, CAST(t.condition_type_cnf AS SIGNED) AS cnf, \
                    CAST(i.profile_part_ind AS SIGNED) AS profile_part \
                    FROM ifc i LEFT JOIN tp t ON t.id = i.id_tp ORDER BY i.id";
const PROFILES: &str = "SELECT CAST(id AS SIGNED) AS id, name, \
                        CAST(cn_service_auth AS SIGNED) AS cn_service_auth FROM sp ORDER BY id";
const PROFILE_IFCS: &str = "SELECT CAST(id_sp AS SIGNED), CAST(id_ifc AS SIGNED), \
                            CAST(priority AS SIGNED) FROM sp_ifc ORDER BY id_sp, priority, id";
const SHARED: &str = "SELECT CAST(id_set AS SIGNED), CAST(id_ifc AS SIGNED), \
                      CAST(priority AS SIGNED) FROM shared_ifc_set \
                      WHERE id_ifc IS NOT NULL ORDER BY id_set, priority, id";
const PROFILE_SHARED: &str = "SELECT CAST(id_sp AS SIGNED), CAST(id_shared_ifc_set AS SIGNED) \
                              FROM sp_shared_ifc_set ORDER BY id_sp, id";

async fn rows<T>(
	pool: &MySqlPool,
	sql: &'static str,
	what: &'static str,
	row: fn(&MySqlRow) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, SourceError> {
	let rows = sqlx::query(sql).fetch_all(pool).await.map_err(query(what))?;
	rows.iter().map(row).collect::<Result<_, _>>().map_err(query(what))
}

/// `application_server` rows; the third-party registration flags only
/// where the schema has them (FHoSS added them later).
async fn servers(pool: &MySqlPool) -> Result<Vec<Server>, SourceError> {
	let flags = has_column(pool, "application_server", "include_register_request").await?;
	let sql = if flags {
		servers_query!("include_register_request", "include_register_response")
	} else {
		servers_query!("0", "0")
	};
	rows(pool, sql, "application_server", server).await
}

fn server(row: &MySqlRow) -> Result<Server, sqlx::Error> {
	Ok(Server {
		id: row.try_get("id")?,
		server_name: row.try_get("server_name")?,
		default_handling: row.try_get("default_handling")?,
		service_info: row.try_get("service_info")?,
		include_register_request: row.try_get::<i64, _>("request")? != 0,
		include_register_response: row.try_get::<i64, _>("response")? != 0,
		sh: row.try_get::<i64, _>("sh")? != 0,
	})
}

fn charging(row: &MySqlRow) -> Result<Charging, sqlx::Error> {
	Ok(Charging {
		id: row.try_get("id")?,
		pri_ecf: row.try_get("pri_ecf")?,
		sec_ecf: row.try_get("sec_ecf")?,
		pri_ccf: row.try_get("pri_ccf")?,
		sec_ccf: row.try_get("sec_ccf")?,
	})
}

/// `spt` rows; `registration_type` only where the schema has it.
async fn spts(pool: &MySqlPool) -> Result<Vec<Spt>, SourceError> {
	let registration = has_column(pool, "spt", "registration_type").await?;
	let sql = if registration { spt_query!("registration_type") } else { spt_query!("0") };
	rows(pool, sql, "spt", spt).await
}

fn spt(row: &MySqlRow) -> Result<Spt, sqlx::Error> {
	Ok(Spt {
		id: row.try_get("id")?,
		id_tp: row.try_get("id_tp")?,
		negated: row.try_get::<i64, _>("negated")? != 0,
		group: row.try_get("grp")?,
		kind: row.try_get("kind")?,
		request_uri: row.try_get("requesturi")?,
		method: row.try_get("method")?,
		header: row.try_get("header")?,
		header_content: row.try_get("header_content")?,
		session_case: row.try_get("session_case")?,
		sdp_line: row.try_get("sdp_line")?,
		sdp_line_content: row.try_get("sdp_line_content")?,
		registration_type: row.try_get("registration_type")?,
	})
}

fn ifc(row: &MySqlRow) -> Result<Ifc, sqlx::Error> {
	Ok(Ifc {
		id: row.try_get("id")?,
		id_application_server: row.try_get("id_application_server")?,
		id_tp: row.try_get("id_tp")?,
		cnf: row.try_get::<Option<i64>, _>("cnf")?.map(|c| c != 0),
		profile_part: row.try_get("profile_part")?,
	})
}

fn profile(row: &MySqlRow) -> Result<Profile, sqlx::Error> {
	Ok(Profile {
		id: row.try_get("id")?,
		name: row.try_get("name")?,
		cn_service_auth: row.try_get("cn_service_auth")?,
	})
}
