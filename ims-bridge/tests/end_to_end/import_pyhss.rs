//! `ims-bridge import --from pyhss` against Debian's MariaDB holding a
//! database in PyHSS's shape (`tests/pyhss/schema.sql`): an AKA
//! subscriber with two MSISDNs, a disabled one and one without an AuC
//! entry; then SIPp registers the imported subscriber through Kamailio by
//! its IMSI-based IMPI and its MSISDN.

use crate::common::*;
use ims_bridge::auth::milenage::opc;
use ims_test_harness::MariaDb;
use std::time::Duration;

const SCHEMA: &str = include_str!("../pyhss/schema.sql");

const K: &str = "carol-key-123456";
const OP: &str = "carol-op-1234567";

/// The subscribers, as PyHSS's API writes them: keys in hex, OPc (not OP)
/// in the AuC, MSISDNs as digits.
fn rows() -> String {
	let k: [u8; 16] = K.as_bytes().try_into().unwrap();
	let op: [u8; 16] = OP.as_bytes().try_into().unwrap();
	let (ki, opc) = (hex::encode(k), hex::encode(opc(&k, &op)));
	format!(
		"INSERT INTO auc (auc_id, ki, opc, amf, sqn, imsi) VALUES
		   (1, '{ki}', '{opc}', '3030', 0, '001010000000003'),
		   (2, '{ki}', '{opc}', '8000', 0, '001010000000004');
		 INSERT INTO subscriber (imsi, enabled, auc_id, msisdn) VALUES
		   ('001010000000003', 1, 1, '15550003'),
		   ('001010000000004', 0, 2, '15550004');
		 INSERT INTO ims_subscriber (ims_subscriber_id, msisdn, msisdn_list, imsi, ifc_path) VALUES
		   (1, '15550003', '15550033', '001010000000003', 'default_ifc.xml'),
		   (2, '15550004', NULL, '001010000000004', NULL),
		   (3, '15550005', NULL, '001010000000005', NULL);"
	)
}

#[tokio::test(flavor = "multi_thread")]
async fn pyhss_subscribers_register_by_imsi_and_msisdn_after_the_import() {
	let database = MariaDb::start();
	let url = database.database("pyhss", ("pyhss", "pyhss-reader"));
	database.sql(&format!("USE pyhss;\n{SCHEMA}\n{}", rows()));
	let (_node, setup) = dev_chain().await;
	let import = |args: &[&str]| {
		let mut command = setup.bridge_command();
		command.args(["import", "--config"]).arg(&setup.config).args(["--from", "pyhss", &url]);
		let output = command.args(args).output().unwrap();
		let said = format!(
			"{}{}",
			String::from_utf8_lossy(&output.stdout),
			String::from_utf8_lossy(&output.stderr)
		);
		(output.status.success(), said)
	};

	let (ok, said) = import(&[]);
	assert!(!ok && said.contains("--realm"), "{said}");
	let (ok, said) = import(&["--realm", REALM]);
	assert!(!ok, "one subscriber cannot be imported: {said}");
	assert!(said.contains("3 subscriber lines: 2 added, 0 already imported, 1 refused"), "{said}");
	assert!(said.contains("ims_subscriber 3: no subscriber has its IMSI"), "{said}");
	assert!(
		said.contains("ims_subscriber 1: its iFC template default_ifc.xml is not imported"),
		"{said}"
	);
	assert!(said.contains("ims_subscriber 2: it is barred"), "{said}");
	assert!(!said.contains("pyhss-reader"), "{said}");
	let carol = setup.show("001010000000003@ims.example.net");
	for impu in ["sip:15550003@ims.example.net", "tel:+15550003", "tel:+15550033"] {
		assert!(carol.contains(impu), "{impu} in {carol}");
	}

	let _bridge = setup.start_bridge();
	let _scscf = setup.kamailio("scscf");
	let _icscf = setup.kamailio("icscf");
	wait_for("both CSCFs connected to the bridge", Duration::from_secs(60), || {
		setup.metric("ims_bridge_peers") == Some(2.0)
	});
	let carol = ("15550003", "001010000000003@ims.example.net");
	assert!(setup.sipp_aka_as("register_aka", carol, K, OP, "00"), "AKAv1-MD5 by IMSI and MSISDN");
	let dave = ("15550004", "001010000000004@ims.example.net");
	assert!(setup.sipp_as("register_forbidden", dave, &[]), "a disabled subscriber");
}
