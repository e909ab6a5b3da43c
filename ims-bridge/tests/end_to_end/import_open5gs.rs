//! `ims-bridge import --from open5gs` of a file in the shape of
//! `mongoexport --db open5gs --collection subscribers` (canonical extended
//! JSON, one document a line), handed to a running bridge through its
//! admin socket: an AKA subscriber with two MSISDNs, a barred one and a
//! line that is not a document; then SIPp registers the imported
//! subscriber through Kamailio by its IMSI-based IMPI and its MSISDN.

use crate::common::*;
use ims_bridge::auth::milenage::opc;
use std::time::Duration;

const K: &str = "erin-key-1234567";
const OP: &str = "erin-op-12345678";

/// A subscriber document as Open5GS's web UI stores it: keys as hex in
/// groups of eight, OPc, the SQN a `$numberLong`.
fn document(imsi: &str, msisdns: &[&str], status: u32) -> String {
	let k: [u8; 16] = K.as_bytes().try_into().unwrap();
	let op: [u8; 16] = OP.as_bytes().try_into().unwrap();
	let grouped = |bytes: &[u8]| {
		let hex = hex::encode_upper(bytes);
		hex.as_bytes()
			.chunks(8)
			.map(|c| String::from_utf8_lossy(c).into_owned())
			.collect::<Vec<_>>()
			.join(" ")
	};
	serde_json::json!({
		"_id": {"$oid": "6571a0c2f1b2c3d4e5f60718"},
		"imsi": imsi,
		"msisdn": msisdns,
		"imeisv": [],
		"security": {
			"k": grouped(&k),
			"op": null,
			"opc": grouped(&opc(&k, &op)),
			"amf": "3030",
			"sqn": {"$numberLong": "0"},
		},
		"ambr": {"downlink": {"value": 1, "unit": 3}, "uplink": {"value": 1, "unit": 3}},
		"slice": [],
		"access_restriction_data": 32,
		"subscriber_status": status,
		"network_access_mode": 0,
		"__v": 0,
	})
	.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn open5gs_subscribers_register_by_imsi_and_msisdn_after_the_import() {
	let (_node, setup) = dev_chain().await;
	let export = setup.dir.path().join("subscribers.json");
	let lines = [
		document("001010000000005", &["15550005", "15550055"], 0),
		document("001010000000006", &["15550006"], 1),
		"{\"imsi\": \"001010000000007\", \"msisdn\": [\"1555\"]".to_string(),
	];
	std::fs::write(&export, lines.join("\n") + "\n").unwrap();
	let mut bridge = setup.start_bridge();
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected to the bridge", Duration::from_secs(60), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});

	// Through the running bridge, which owns the vault.
	let output = setup
		.bridge_command()
		.args(["import", "--config"])
		.arg(&setup.config)
		.args(["--from", "open5gs", "--realm", REALM])
		.arg(&export)
		.output()
		.unwrap();
	let said = format!(
		"{}{}",
		String::from_utf8_lossy(&output.stdout),
		String::from_utf8_lossy(&output.stderr)
	);
	assert!(!output.status.success(), "a line cannot be imported: {said}");
	assert!(said.contains("3 subscriber lines: 2 added, 0 already imported, 1 refused"), "{said}");
	assert!(said.contains("line 3: malformed"), "{said}");
	assert!(said.contains("line 2: its subscriber_status is 1"), "{said}");
	assert!(bridge.log().contains("import started"), "the bridge ran it");

	let erin = ("15550055", "001010000000005@ims.example.net");
	wait_for("the imported subscriber in the bridge's index", Duration::from_secs(60), || {
		setup.show("001010000000005@ims.example.net").contains("tel:+15550055")
	});
	assert!(setup.sipp_aka_as("register_aka", erin, K, OP, "00"), "AKAv1-MD5 by IMSI and MSISDN");
	let barred = ("15550006", "001010000000006@ims.example.net");
	assert!(setup.sipp_as("register_forbidden", barred, &[]), "a barred subscriber");
	let _ = bridge.terminate(Duration::from_secs(30));
}
