//! MILENAGE, the 3GPP example algorithm set f1, f1*, f2, f3, f4, f5 and f5*
//! (3GPP TS 35.206), on AES-128. Checked against the six test sets of
//! TS 35.208.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The outputs of f2..f5 for one RAND.
#[derive(Clone, PartialEq, Eq, Debug, Zeroize, ZeroizeOnDrop)]
pub struct Outputs {
	/// RES / XRES (f2).
	pub res: [u8; 8],
	/// Cipher key (f3).
	pub ck: [u8; 16],
	/// Integrity key (f4).
	pub ik: [u8; 16],
	/// Anonymity key (f5).
	pub ak: [u8; 6],
}

/// MILENAGE keyed with a subscriber's K and OPc.
#[derive(ZeroizeOnDrop)]
pub struct Milenage {
	#[zeroize(skip)]
	cipher: Aes128,
	opc: [u8; 16],
}

/// OPc = OP xor E_K(OP) (TS 35.206 section 4.1).
pub fn opc(k: &[u8; 16], op: &[u8; 16]) -> [u8; 16] {
	let cipher = Aes128::new(k.into());
	let mut block = *op;
	encrypt(&cipher, &mut block);
	xor_in(&mut block, op);
	block
}

fn encrypt(cipher: &Aes128, block: &mut [u8; 16]) {
	cipher.encrypt_block(block.into());
}

fn xor_in<const N: usize>(target: &mut [u8; N], other: &[u8; N]) {
	for (t, o) in target.iter_mut().zip(other) {
		*t ^= o;
	}
}

/// Cyclic left rotation by `bytes` whole bytes (r1..r5 are multiples of 8).
fn rotate(block: &[u8; 16], bytes: usize) -> [u8; 16] {
	let mut out = *block;
	out.rotate_left(bytes % 16);
	out
}

/// c1..c5: 128-bit constants that are zero but for the last byte.
const fn constant(last: u8) -> [u8; 16] {
	let mut c = [0u8; 16];
	c[15] = last;
	c
}

fn take<const N: usize>(block: &[u8; 16], from: usize) -> [u8; N] {
	let mut out = [0u8; N];
	for (i, o) in out.iter_mut().enumerate() {
		*o = block.get(from + i).copied().unwrap_or_default();
	}
	out
}

impl Milenage {
	/// MILENAGE for a subscriber with key `k` and operator variant `opc`.
	pub fn new(k: &[u8; 16], opc: &[u8; 16]) -> Self {
		Milenage { cipher: Aes128::new(k.into()), opc: *opc }
	}

	/// TEMP = E_K(RAND xor OPc).
	fn temp(&self, rand: &[u8; 16]) -> [u8; 16] {
		let mut temp = *rand;
		xor_in(&mut temp, &self.opc);
		encrypt(&self.cipher, &mut temp);
		temp
	}

	/// OUTk = E_K(rot(input xor OPc, r) xor c) xor OPc.
	fn out(&self, input: &[u8; 16], rotation: usize, c: u8) -> [u8; 16] {
		let mut block = *input;
		xor_in(&mut block, &self.opc);
		let mut block = rotate(&block, rotation);
		xor_in(&mut block, &constant(c));
		encrypt(&self.cipher, &mut block);
		xor_in(&mut block, &self.opc);
		block
	}

	/// OUT1 for f1/f1*: the network (first 8 bytes) and resync (last 8)
	/// authentication codes.
	fn out1(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 16] {
		let temp = self.temp(rand);
		let mut in1 = [0u8; 16];
		in1[..6].copy_from_slice(sqn);
		in1[6..8].copy_from_slice(amf);
		in1[8..14].copy_from_slice(sqn);
		in1[14..].copy_from_slice(amf);
		// OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, r1 = 64.
		let mut block = in1;
		xor_in(&mut block, &self.opc);
		let mut block = rotate(&block, 8);
		xor_in(&mut block, &temp);
		encrypt(&self.cipher, &mut block);
		xor_in(&mut block, &self.opc);
		block
	}

	/// f1: the network authentication code MAC-A.
	pub fn f1(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
		take(&self.out1(rand, sqn, amf), 0)
	}

	/// f1*: the resynchronisation authentication code MAC-S.
	pub fn f1_star(&self, rand: &[u8; 16], sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
		take(&self.out1(rand, sqn, amf), 8)
	}

	/// f2 (RES), f3 (CK), f4 (IK) and f5 (AK).
	pub fn f2345(&self, rand: &[u8; 16]) -> Outputs {
		let temp = self.temp(rand);
		let out2 = self.out(&temp, 0, 1);
		let out3 = self.out(&temp, 4, 2);
		let out4 = self.out(&temp, 8, 4);
		Outputs { res: take(&out2, 8), ck: out3, ik: out4, ak: take(&out2, 0) }
	}

	/// f5*: the anonymity key of a resynchronisation.
	pub fn f5_star(&self, rand: &[u8; 16]) -> [u8; 6] {
		take(&self.out(&self.temp(rand), 12, 8), 0)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn h<const N: usize>(hex: &str) -> [u8; N] {
		hex::decode(hex).unwrap().try_into().unwrap()
	}

	/// 3GPP TS 35.208 test sets 1 to 6: K, RAND, SQN, AMF, OP, OPc, f1, f1*,
	/// f2, f3, f4, f5, f5*.
	const TEST_SETS: [[&str; 13]; 6] = [
		[
			"465b5ce8b199b49faa5f0a2ee238a6bc",
			"23553cbe9637a89d218ae64dae47bf35",
			"ff9bb4d0b607",
			"b9b9",
			"cdc202d5123e20f62b6d676ac72cb318",
			"cd63cb71954a9f4e48a5994e37a02baf",
			"4a9ffac354dfafb3",
			"01cfaf9ec4e871e9",
			"a54211d5e3ba50bf",
			"b40ba9a3c58b2a05bbf0d987b21bf8cb",
			"f769bcd751044604127672711c6d3441",
			"aa689c648370",
			"451e8beca43b",
		],
		[
			"0396eb317b6d1c36f19c1c84cd6ffd16",
			"c00d603103dcee52c4478119494202e8",
			"fd8eef40df7d",
			"af17",
			"ff53bade17df5d4e793073ce9d7579fa",
			"53c15671c60a4b731c55b4a441c0bde2",
			"5df5b31807e258b0",
			"a8c016e51ef4a343",
			"d3a628ed988620f0",
			"58c433ff7a7082acd424220f2b67c556",
			"21a8c1f929702adb3e738488b9f5c5da",
			"c47783995f72",
			"30f1197061c1",
		],
		[
			"fec86ba6eb707ed08905757b1bb44b8f",
			"9f7c8d021accf4db213ccff0c7f71a6a",
			"9d0277595ffc",
			"725c",
			"dbc59adcb6f9a0ef735477b7fadf8374",
			"1006020f0a478bf6b699f15c062e42b3",
			"9cabc3e99baf7281",
			"95814ba2b3044324",
			"8011c48c0c214ed2",
			"5dbdbb2954e8f3cde665b046179a5098",
			"59a92d3b476a0443487055cf88b2307b",
			"33484dc2136b",
			"deacdd848cc6",
		],
		[
			"9e5944aea94b81165c82fbf9f32db751",
			"ce83dbc54ac0274a157c17f80d017bd6",
			"0b604a81eca8",
			"9e09",
			"223014c5806694c007ca1eeef57f004f",
			"a64a507ae1a2a98bb88eb4210135dc87",
			"74a58220cba84c49",
			"ac2cc74a96871837",
			"f365cd683cd92e96",
			"e203edb3971574f5a94b0d61b816345d",
			"0c4524adeac041c4dd830d20854fc46b",
			"f0b9c08ad02e",
			"6085a86c6f63",
		],
		[
			"4ab1deb05ca6ceb051fc98e77d026a84",
			"74b0cd6031a1c8339b2b6ce2b8c4a186",
			"e880a1b580b6",
			"9f07",
			"2d16c5cd1fdf6b22383584e3bef2a8d8",
			"dcf07cbd51855290b92a07a9891e523e",
			"49e785dd12626ef2",
			"9e85790336bb3fa2",
			"5860fc1bce351e7e",
			"7657766b373d1c2138f307e3de9242f9",
			"1c42e960d89b8fa99f2744e0708ccb53",
			"31e11a609118",
			"fe2555e54aa9",
		],
		[
			"6c38a116ac280c454f59332ee35c8c4f",
			"ee6466bc96202c5a557abbeff8babf63",
			"414b98222181",
			"4464",
			"1ba00a1a7c6700ac8c3ff3e96ad08725",
			"3803ef5363b947c6aaa225e58fae3934",
			"078adfb488241a57",
			"80246b8d0186bcf1",
			"16c8233f05a0ac28",
			"3f8c7587fe8e4b233af676aede30ba3b",
			"a7466cc1e6b2a1337d49d3b66e95d7b4",
			"45b0f69ab06c",
			"1f53cd2b1113",
		],
	];

	#[test]
	fn ts_35_208_test_sets() {
		for (set, v) in TEST_SETS.iter().enumerate() {
			let set = set + 1;
			let (k, rand, sqn, amf, op) = (h(v[0]), h(v[1]), h(v[2]), h(v[3]), h(v[4]));
			let opc = opc(&k, &op);
			assert_eq!(opc, h::<16>(v[5]), "OPc, test set {set}");
			let m = Milenage::new(&k, &opc);
			assert_eq!(m.f1(&rand, &sqn, &amf), h::<8>(v[6]), "f1, test set {set}");
			assert_eq!(m.f1_star(&rand, &sqn, &amf), h::<8>(v[7]), "f1*, test set {set}");
			let out = m.f2345(&rand);
			assert_eq!(out.res, h::<8>(v[8]), "f2, test set {set}");
			assert_eq!(out.ck, h::<16>(v[9]), "f3, test set {set}");
			assert_eq!(out.ik, h::<16>(v[10]), "f4, test set {set}");
			assert_eq!(out.ak, h::<6>(v[11]), "f5, test set {set}");
			assert_eq!(m.f5_star(&rand), h::<6>(v[12]), "f5*, test set {set}");
		}
	}
}
