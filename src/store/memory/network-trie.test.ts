import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIP } from '../../bittorrent/address.js';
import { maskNetwork, parseNetwork } from '../../bittorrent/cidr.js';
import { NetworkTrie } from './network-trie.js';
import { seededRandom } from '../suites/suite-support.js';

/** An address's bytes from text. */
function ip(s: string): Buffer {
  const b = Buffer.alloc(16);
  const fam = parseIP(s, b);
  assert.notEqual(fam, 0, s);
  return b.subarray(0, fam === 4 ? 4 : 16);
}

function insert(t: NetworkTrie, net: string, flag = 1): boolean {
  const n = parseNetwork(net);
  return t.insert(n.bytes, n.prefix, flag);
}

function remove(t: NetworkTrie, net: string, flag = 1): boolean {
  const n = parseNetwork(net);
  return t.remove(n.bytes, n.prefix, flag);
}

describe('NetworkTrie', () => {
  it('starts with the root only and contains nothing', () => {
    const t = new NetworkTrie(32);
    assert.equal(t.nodeCount, 1);
    assert.equal(t.contains(ip('0.0.0.0')), false);
    assert.equal(t.contains(ip('255.255.255.255')), false);
    assert.equal(remove(t, '0.0.0.0/0'), false);
  });

  it('keeps the /0 prefix on the root', () => {
    const t = new NetworkTrie(128);
    assert.equal(insert(t, '::/0'), true);
    assert.equal(t.nodeCount, 1);
    assert.equal(t.contains(ip('::')), true);
    assert.equal(t.contains(ip('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')), true);
    assert.equal(remove(t, '::/0'), true);
    assert.equal(t.contains(ip('::')), false);
  });

  it('adds a branch node where two prefixes part, and splices it out when one goes', () => {
    const t = new NetworkTrie(32);
    insert(t, '10.0.0.0/8');
    assert.equal(t.nodeCount, 2);
    insert(t, '11.0.0.0/8'); // parts from 10/8 at bit 7: a /7 branch node
    assert.equal(t.nodeCount, 4);
    assert.equal(t.contains(ip('11.1.2.3')), true);
    // The branch node is no entry of its own.
    assert.equal(remove(t, '10.0.0.0/7'), false);
    assert.equal(t.nodeCount, 4);
    assert.equal(remove(t, '11.0.0.0/8'), true);
    assert.equal(t.nodeCount, 2);
    assert.equal(t.contains(ip('11.1.2.3')), false);
    assert.equal(t.contains(ip('10.1.2.3')), true);
    assert.equal(remove(t, '10.0.0.0/8'), true);
    assert.equal(t.nodeCount, 1);
  });

  it('puts a shorter prefix between its parent and a longer one, and unlinks it on removal', () => {
    const t = new NetworkTrie(32);
    insert(t, '10.1.0.0/16');
    insert(t, '10.0.0.0/8');
    assert.equal(t.nodeCount, 3);
    assert.equal(t.contains(ip('10.2.0.0')), true);
    assert.equal(remove(t, '10.0.0.0/8'), true);
    assert.equal(t.nodeCount, 2);
    assert.equal(t.contains(ip('10.2.0.0')), false);
    assert.equal(t.contains(ip('10.1.255.255')), true);
  });

  it('matches a removal on the whole prefix, not on a path node', () => {
    const t = new NetworkTrie(32);
    insert(t, '10.0.0.0/8');
    assert.equal(remove(t, '11.0.0.0/8'), false);
    assert.equal(remove(t, '10.0.0.0/16'), false);
    assert.equal(remove(t, '10.0.0.0/7'), false);
    assert.equal(remove(t, '10.0.0.0/8', 2), false); // other flag
    assert.equal(t.nodeCount, 2);
  });

  it('keeps a node while any flag is set on it', () => {
    const t = new NetworkTrie(32);
    assert.equal(insert(t, '1.2.3.4/32', 1), true);
    assert.equal(insert(t, '1.2.3.4/32', 2), true);
    assert.equal(insert(t, '1.2.3.4/32', 2), false);
    assert.equal(t.nodeCount, 2);
    assert.equal(remove(t, '1.2.3.4/32', 1), true);
    assert.equal(remove(t, '1.2.3.4/32', 1), false);
    assert.equal(t.contains(ip('1.2.3.4')), true);
    assert.equal(remove(t, '1.2.3.4/32', 2), true);
    assert.equal(t.contains(ip('1.2.3.4')), false);
    assert.equal(t.nodeCount, 1);
  });

  it('ignores host bits on insert and remove', () => {
    const t = new NetworkTrie(128);
    assert.equal(insert(t, '2001:db8:ffff::1/32'), true);
    assert.equal(insert(t, '2001:db8::/32'), false);
    assert.equal(t.contains(ip('2001:db8:1::')), true);
    assert.equal(remove(t, '2001:db8:1:2:3:4:5:6/32'), true);
    assert.equal(t.nodeCount, 1);
  });

  it('nests a prefix of every length along one address, and frees them in any order', () => {
    const t = new NetworkTrie(128);
    const addr = ip('2001:db8:8000:1:ffff:0:8000:1');
    for (let p = 1; p <= 128; p++) assert.equal(t.insert(addr, p, 1), true);
    assert.equal(t.nodeCount, 129);
    const next = seededRandom(7);
    const order = Array.from({ length: 128 }, (_, i) => i + 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = next() % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const p of order) {
      assert.equal(t.contains(addr), true);
      assert.equal(t.remove(addr, p, 1), true, `/${p}`);
    }
    assert.equal(t.contains(addr), false);
    assert.equal(t.nodeCount, 1);
  });

  it('uses at most two nodes per entry and reuses freed nodes', () => {
    const t = new NetworkTrie(32);
    const next = seededRandom(42);
    const nets: [Buffer, number][] = [];
    const seen = new Set<string>();
    while (nets.length < 2000) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(next());
      const prefix = 8 + (next() % 25);
      const n = maskNetwork({ family: 4, bytes: b, prefix });
      const key = `${n.bytes.toString('hex')}/${prefix}`;
      assert.equal(t.insert(n.bytes, prefix, 1), !seen.has(key));
      if (seen.has(key)) continue;
      seen.add(key);
      nets.push([n.bytes, prefix]);
    }
    assert.ok(t.nodeCount <= 2 * nets.length + 1, `${t.nodeCount} nodes`);
    const capacity = t.capacity;
    for (const [b, p] of nets) assert.equal(t.remove(b, p, 1), true);
    assert.equal(t.nodeCount, 1);
    for (const [b, p] of nets) t.insert(b, p, 1);
    assert.equal(t.capacity, capacity, 'the free list fed the second round');
  });

  it('forgets everything on clear', () => {
    const t = new NetworkTrie(32);
    for (let i = 0; i < 100; i++) t.insert(Buffer.from([10, i, 0, 0]), 16, 1);
    t.clear();
    assert.equal(t.nodeCount, 1);
    assert.equal(t.capacity, 16);
    assert.equal(t.contains(Buffer.from([10, 1, 0, 0])), false);
  });
});
