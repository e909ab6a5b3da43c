//! Where a run's subscribers come from: an import file, or the database of
//! the HSS an operator moves from, read by an importer (`docs/import.md`
//! "From another HSS").

use codec::{Decode, Encode};

/// The source of an import, as `ims-bridge import --from` names it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Source {
	/// An `ims-subscribers` file (version 1).
	File(String),
	/// A live FHoSS database (its `hss_db` schema), by its MySQL URL.
	Fhoss(String),
	/// A live PyHSS database (MySQL), by its URL, and where its subscribers
	/// go: PyHSS keeps no realm, and its iFCs are templates.
	Pyhss {
		/// The database's URL.
		url: String,
		/// The realm and profile of its subscribers.
		placement: Placement,
	},
	/// Open5GS's `subscribers` collection as `mongoexport` writes it (one
	/// document a line), and where its subscribers go.
	Open5gs {
		/// The export file.
		path: String,
		/// The realm and profile of its subscribers.
		placement: Placement,
	},
}

/// Where an importer puts subscribers whose source names no realm or
/// profile the ledger knows (`--realm`, `--profile`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Placement {
	/// The realm's domain, as on chain.
	pub realm: String,
	/// The realm's service profile every public identity gets.
	pub profile: u32,
}

/// The formats `--from` takes.
pub const FORMATS: &str = "ims (an import file, the default), fhoss (a mysql:// URL of \
                           FHoSS's hss_db), pyhss (a mysql:// URL of PyHSS's database, with \
                           --realm), open5gs (a mongoexport of its subscribers collection, \
                           with --realm)";

impl Source {
	/// The source `--from format` names at `location`; `realm` and
	/// `profile` place the subscribers of a source that names no realm.
	pub fn parse(
		format: &str,
		location: &str,
		(realm, profile): (Option<&str>, u32),
	) -> Result<Source, SourceError> {
		match format {
			"ims" => Ok(Source::File(location.to_string())),
			"fhoss" => Ok(Source::Fhoss(database_url("FHoSS", location)?)),
			"pyhss" => {
				let placement = placement("PyHSS", realm, profile)?;
				Ok(Source::Pyhss { url: database_url("PyHSS", location)?, placement })
			},
			"open5gs" => {
				let placement = placement("Open5GS", realm, profile)?;
				Ok(Source::Open5gs { path: location.to_string(), placement })
			},
			other => Err(SourceError::Format(other.to_string())),
		}
	}

	/// How it is named in messages: a URL without its password.
	pub fn describe(&self) -> String {
		match self {
			Source::File(path) => path.clone(),
			Source::Fhoss(url) => format!("FHoSS at {}", redacted(url)),
			Source::Pyhss { url, placement } => {
				format!("PyHSS at {} into {}", redacted(url), placement.realm)
			},
			Source::Open5gs { path, placement } => {
				format!("Open5GS export {path} into {}", placement.realm)
			},
		}
	}
}

/// Where the subscribers of `hss`, which keeps no realm, go.
fn placement(hss: &str, realm: Option<&str>, profile: u32) -> Result<Placement, SourceError> {
	match realm.filter(|r| !r.is_empty()) {
		Some(realm) => Ok(Placement { realm: realm.to_string(), profile }),
		None => Err(SourceError::Location(format!(
			"{hss} keeps no realm: name the one its subscribers go to with --realm"
		))),
	}
}

/// A MySQL URL (`mariadb://` taken as `mysql://`).
fn database_url(hss: &str, location: &str) -> Result<String, SourceError> {
	let url =
		url::Url::parse(location).map_err(|e| SourceError::Location(format!("not a URL: {e}")))?;
	if url.scheme() != "mysql" && url.scheme() != "mariadb" {
		return Err(SourceError::Location(format!(
			"{}: {hss} is read from a mysql:// URL",
			redacted(location)
		)));
	}
	Ok(location.replacen("mariadb://", "mysql://", 1))
}

/// A URL with its password replaced, for messages and logs.
pub fn redacted(location: &str) -> String {
	match url::Url::parse(location) {
		Ok(mut url) if url.password().is_some() => {
			// Only fails for URLs that cannot have a password at all.
			let _ = url.set_password(Some("***"));
			url.to_string()
		},
		Ok(url) => url.to_string(),
		Err(_) => "(not a URL)".into(),
	}
}

/// Why an importer could not read its source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
	/// `--from` names no format this bridge reads.
	#[error("unknown import format {0:?}; --from takes {FORMATS}")]
	Format(String),
	/// The location does not fit the format.
	#[error("{0}")]
	Location(String),
	/// The database could not be reached or logged into.
	#[error("cannot connect to {url}: {source}")]
	Connect {
		/// The URL, without its password.
		url: String,
		/// Why.
		#[source]
		source: sqlx::Error,
	},
	/// A query failed: a table or column of the schema is missing, or the
	/// connection broke.
	#[error("reading {what}: {source}")]
	Query {
		/// What was being read.
		what: &'static str,
		/// Why.
		#[source]
		source: sqlx::Error,
	},
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn formats_are_told_apart_and_passwords_never_shown() {
		let none = (None, 0);
		assert_eq!(
			Source::parse("ims", "a.ndjson", none).unwrap(),
			Source::File("a.ndjson".into())
		);
		let fhoss =
			Source::parse("fhoss", "mariadb://hss:secret@db.example.net/hss_db", none).unwrap();
		assert_eq!(fhoss, Source::Fhoss("mysql://hss:secret@db.example.net/hss_db".into()));
		assert_eq!(fhoss.describe(), "FHoSS at mysql://hss:***@db.example.net/hss_db");
		let wrong = Source::parse("fhoss", "postgres://hss:secret@db/hss_db", none).unwrap_err();
		assert!(!wrong.to_string().contains("secret"), "{wrong}");
		assert!(matches!(Source::parse("fhoss", "hss_db", none), Err(SourceError::Location(_))));
		let unknown = Source::parse("hss", "x", none).unwrap_err().to_string();
		assert!(unknown.contains("fhoss") && unknown.contains("pyhss"), "{unknown}");
		let url = "mysql://pyhss:secret@db/hss";
		let no_realm = Source::parse("pyhss", url, none).unwrap_err().to_string();
		assert!(no_realm.contains("--realm"), "{no_realm}");
		let pyhss = Source::parse("pyhss", url, (Some("ims.example.net"), 2)).unwrap();
		let placement = Placement { realm: "ims.example.net".into(), profile: 2 };
		assert_eq!(pyhss, Source::Pyhss { url: url.into(), placement });
		assert_eq!(pyhss.describe(), "PyHSS at mysql://pyhss:***@db/hss into ims.example.net");
		let open5gs = Source::parse("open5gs", "subscribers.json", (Some("ims.example.net"), 0));
		assert!(matches!(open5gs, Ok(Source::Open5gs { .. })));
		let no_realm = Source::parse("open5gs", "subscribers.json", none).unwrap_err();
		assert!(no_realm.to_string().starts_with("Open5GS keeps no realm"), "{no_realm}");
	}
}
