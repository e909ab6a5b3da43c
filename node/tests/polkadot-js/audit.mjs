// What an auditor's polkadot.js sees of the audit trail on a real ims-node:
// Alice (the development realm's HSS front) signs an `audit.submit` with
// @polkadot/api, which must build the runtime's transaction extensions
// (ReportDenials included) from the metadata alone; once finalized, the
// `audit.Recorded` event, the `audit.trails` / `audit.batches` storage and
// the `imsAudit_records` method must all decode and agree, with no custom
// types registered.
//
// Usage: node audit.mjs ws://127.0.0.1:PORT
// Prints one JSON line with what it checked; exits non-zero on any mismatch.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs ws://127.0.0.1:PORT');
  process.exit(2);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const timeout = setTimeout(() => {
  console.error('timed out after 90 s');
  process.exit(1);
}, 90_000);

const provider = new WsProvider(url);
const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
try {
  const alice = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 }).addFromUri('//Alice');
  // An identity the realm does not hold (no subscriber needs provisioning
  // first), at whole minutes in the past as fronts record.
  const impu = '0x' + '5a'.repeat(32);
  const records = [
    { subject: { Unknown: impu }, peer: { Diameter: 'icscf.ims.example.net' }, activity: 'UserAuthorization', result: 5001, atMs: 1_762_999_920_000 },
    { subject: { Unknown: impu }, peer: { Diameter: 'scscf.ims.example.net' }, activity: { AuthenticationChallenge: 'AkaV1Md5' }, result: 5001, atMs: 1_762_999_920_000 },
    { subject: { Unknown: impu }, peer: { Client: '0x' + '01'.repeat(32) }, activity: { AccessDenied: 'NoConsent' }, result: 5003, atMs: 1_762_999_980_000 },
  ];
  const next = (await api.call.auditApi.nextSequence(alice.address)).toBigInt();
  const tx = api.tx.audit.submit(0, next, records);

  const { blockHash, recorded } = await new Promise((resolve, reject) => {
    tx.signAndSend(alice, ({ status, events, dispatchError }) => {
      if (dispatchError) reject(new Error(`dispatch error: ${dispatchError.toString()}`));
      if (status.isFinalized) {
        const found = events.map(({ event }) => event).find((event) => api.events.audit.Recorded.is(event));
        if (!found) reject(new Error('no audit.Recorded event in the finalized block'));
        else resolve({ blockHash: status.asFinalized, recorded: found });
      }
    }).catch(reject);
  });
  // Every batch the block added to realm 0, in order: the changes the chain
  // itself sealed at the block's end may follow ours (in block 1, those of
  // the genesis).
  const sealed = (await (await api.at(blockHash)).query.system.events())
    .map(({ event }) => event)
    .filter((event) => api.events.audit.Recorded.is(event) && event.data.realm.toNumber() === 0);
  const last = sealed[sealed.length - 1];

  // The event decodes from the metadata: realm, batch, source, root, head
  // and the records themselves.
  const { realm, batch, source, root, head, records: entries } = recorded.data;
  check(realm.toNumber() === 0, `realm ${realm}`);
  check(source.isFront, `source ${source}`);
  check(source.asFront.submitter.toString() === alice.address, `submitter ${source.asFront.submitter}`);
  check(source.asFront.firstSequence.toBigInt() === next, `first sequence ${source.asFront.firstSequence}`);
  check(entries.length === 3, `${entries.length} entries`);
  check(entries[0].subject.isUnknown && entries[0].subject.asUnknown.toHex() === impu, 'subject');
  check(entries[0].actor.isPeer && entries[0].actor.asPeer.asDiameter.toUtf8() === 'icscf.ims.example.net', 'actor');
  check(entries[0].activity.isUserAuthorization, `activity ${entries[0].activity}`);
  check(entries[1].activity.asAuthenticationChallenge.isAkaV1Md5, `activity ${entries[1].activity}`);
  check(entries[2].activity.asAccessDenied.isNoConsent, `activity ${entries[2].activity}`);
  check(entries[2].result.toNumber() === 5003, 'result');
  check(entries[2].atMs.toBigInt() === 1_762_999_980_000n, 'timestamp');

  // Storage agrees with the event.
  const at = await api.at(blockHash);
  const commitment = (await at.query.audit.batches(0, batch)).unwrap();
  check(commitment.root.eq(root) && commitment.head.eq(head), 'commitment');
  check(commitment.count.toNumber() === 3, 'count');
  // The trail ends with the block's last batch, which chains on from ours.
  const trail = (await at.query.audit.trails(0)).unwrap();
  check(trail.head.eq(last.data.head) && trail.batches.toBigInt() === last.data.batch.toBigInt() + 1n, 'trail');
  check(sealed.every((event, i) => event.data.batch.toBigInt() === batch.toBigInt() + BigInt(i)), 'batches of the block');

  // The node's index lists the records, under the realm and pseudonym.
  let page;
  for (let tries = 0; tries < 100; tries++) {
    page = await provider.send('imsAudit_records', [0, impu, 0, 10]);
    if (page.total >= 3) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  check(page.total === 3, `imsAudit_records total ${page.total}`);
  const listed = api.createType('ImsPrimitivesAuditEntry', page.records[2].entry);
  check(listed.eq(entries[2]), 'listed record equals the event record');

  console.log(JSON.stringify({
    block: blockHash.toHex(),
    batch: batch.toNumber(),
    root: root.toHex(),
    records: entries.length,
    listed: page.total,
  }));
} finally {
  clearTimeout(timeout);
  await api.disconnect();
}
