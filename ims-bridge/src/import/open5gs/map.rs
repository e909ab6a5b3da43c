//! One Open5GS subscriber document (a line of `mongoexport`'s output of
//! its `subscribers` collection) as a line of the import format
//! (`crate::import::mobile`; `docs/import.md` "From Open5GS"). Fields the
//! IMS has no use for (slices, AMBR, APNs) are ignored.

use crate::import::database::Mapped;
use crate::import::mobile::{self, Keys, Mobile};
use crate::import::{LineError, Placement, Secret};
use serde::Deserialize;

/// The fields of a subscriber document the import reads.
#[derive(Deserialize)]
struct Document {
	imsi: String,
	#[serde(default)]
	msisdn: Vec<String>,
	security: Security,
	/// 0 service granted, 1 operator-determined barring.
	#[serde(default)]
	subscriber_status: Option<Number>,
}

#[derive(Deserialize)]
struct Security {
	k: Secret,
	#[serde(default)]
	opc: Option<Secret>,
	#[serde(default)]
	op: Option<Secret>,
	amf: String,
	#[serde(default)]
	sqn: Option<Number>,
}

/// A number as MongoDB's extended JSON writes it: plain, or
/// `{"$numberLong": "97"}` / `{"$numberInt": "0"}` (canonical mode).
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
	Plain(u64),
	Long {
		#[serde(rename = "$numberLong")]
		value: String,
	},
	Int {
		#[serde(rename = "$numberInt")]
		value: String,
	},
}

impl Number {
	fn value(&self) -> Result<u64, LineError> {
		match self {
			Number::Plain(n) => Ok(*n),
			Number::Long { value } | Number::Int { value } => value
				.parse()
				.map_err(|_| LineError::Invalid("a number field is not a number from 0".into())),
		}
	}
}

/// Maps a document into `placement`'s realm and profile, or says why it
/// cannot be imported.
pub fn document(text: &str, placement: &Placement) -> Result<Mapped, LineError> {
	let document: Document = serde_json::from_str(text).map_err(|e| LineError::json(&e))?;
	let security = &document.security;
	let status = document.subscriber_status.as_ref().map(Number::value).transpose()?;
	let mut notes = Vec::new();
	if let Some(status) = status.filter(|s| *s != 0) {
		notes.push(format!("its subscriber_status is {status} (operator-determined barring)"));
	}
	let opc = security.opc.as_ref().map(|s| s.0.as_str()).filter(|s| !s.trim().is_empty());
	let op = security.op.as_ref().map(|s| s.0.as_str()).filter(|s| !s.trim().is_empty());
	let keys = Keys {
		k: &security.k.0,
		// Open5GS uses OPc when both are set.
		opc,
		op: if opc.is_some() { None } else { op },
		amf: &security.amf,
		sqn: security.sqn.as_ref().map(Number::value).transpose()?.unwrap_or(0),
	};
	let mobile = Mobile {
		imsi: &document.imsi,
		msisdns: document.msisdn.iter().map(String::as_str).collect(),
		enabled: status.unwrap_or(0) == 0,
		keys,
		notes,
	};
	mobile::line(mobile, placement)
}

#[cfg(test)]
mod tests;
