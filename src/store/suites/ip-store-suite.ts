import assert from 'node:assert/strict';
import { parseIP } from '../../bittorrent/address.js';
import { parseNetwork } from '../../bittorrent/cidr.js';
import type { IPStore } from '../ip-store.js';
import type { StoreSuiteOptions, SuiteCase } from './suite-support.js';
import { IP_STORE_MODEL_CASES } from './ip-store-model-cases.js';
import { runCases } from './suite-support.js';

/** Options of `ipStoreSuite`. */
export type IPStoreSuiteOptions = StoreSuiteOptions<IPStore>;

/** An address's bytes from text: 4 for IPv4, 16 for IPv6. */
function ip(text: string): Buffer {
  const b = Buffer.alloc(16);
  const family = parseIP(text, b);
  if (family === 0) throw new RangeError(`not an IP address: ${text}`);
  return b.subarray(0, family === 4 ? 4 : 16);
}

const net = parseNetwork;

/** Asserts `contains` for each address: those in `inside` true, those in `outside` false. */
async function expect(
  s: IPStore,
  inside: readonly string[],
  outside: readonly string[],
): Promise<void> {
  for (const a of inside) assert.equal(await s.contains(ip(a)), true, `${a} should be contained`);
  for (const a of outside) assert.equal(await s.contains(ip(a)), false, `${a} should not be`);
}

const CASES: SuiteCase<IPStore>[] = [
  {
    key: 'empty',
    title: 'an empty store contains nothing and removes nothing',
    async run(s) {
      await expect(s, [], ['0.0.0.0', '1.2.3.4', '255.255.255.255', '::', '2001:db8::1']);
      assert.equal(await s.removeIP(ip('1.2.3.4')), false);
      assert.equal(await s.removeIP(ip('::1')), false);
      assert.equal(await s.removeNetwork(net('0.0.0.0/0')), false);
      assert.equal(await s.removeNetwork(net('::/0')), false);
    },
  },
  {
    key: 'ipv4-address',
    title: 'an IPv4 address is contained from addIP until removeIP',
    async run(s) {
      await s.addIP(ip('192.0.2.1'));
      await expect(s, ['192.0.2.1'], ['192.0.2.0', '192.0.2.2', '64.0.2.1', '192.0.2.129']);
      assert.equal(await s.removeIP(ip('192.0.2.1')), true);
      await expect(s, [], ['192.0.2.1']);
    },
  },
  {
    key: 'ipv6-address',
    title: 'an IPv6 address is contained from addIP until removeIP',
    async run(s) {
      await s.addIP(ip('2001:db8::1'));
      await s.addIP(ip('::'));
      await expect(
        s,
        ['2001:db8::1', '::'],
        ['2001:db8::', '2001:db8::2', 'a001:db8::1', '2001:db8:0:0:8000::1', '::1'],
      );
      assert.equal(await s.removeIP(ip('2001:db8::1')), true);
      await expect(s, ['::'], ['2001:db8::1']);
    },
  },
  {
    key: 'add-ip-twice',
    title: 'adding an address twice is adding it once',
    async run(s) {
      await s.addIP(ip('192.0.2.1'));
      await s.addIP(ip('192.0.2.1'));
      await s.addIP(ip('2001:db8::1'));
      await s.addIP(ip('2001:db8::1'));
      assert.equal(await s.removeIP(ip('192.0.2.1')), true);
      assert.equal(await s.removeIP(ip('2001:db8::1')), true);
      await expect(s, [], ['192.0.2.1', '2001:db8::1']);
      assert.equal(await s.removeIP(ip('192.0.2.1')), false);
      assert.equal(await s.removeIP(ip('2001:db8::1')), false);
    },
  },
  {
    key: 'remove-absent',
    title: 'remove returns false for entries that were never added',
    async run(s) {
      await s.addIP(ip('192.0.2.1'));
      await s.addNetwork(net('10.0.0.0/8'));
      await s.addNetwork(net('2001:db8::/32'));
      assert.equal(await s.removeIP(ip('192.0.2.2')), false);
      // Inside a network is not the same as added.
      assert.equal(await s.removeIP(ip('10.0.0.0')), false);
      assert.equal(await s.removeIP(ip('2001:db8::')), false);
      // A network is its address and its prefix length.
      assert.equal(await s.removeNetwork(net('10.0.0.0/9')), false);
      assert.equal(await s.removeNetwork(net('10.0.0.0/7')), false);
      assert.equal(await s.removeNetwork(net('11.0.0.0/8')), false);
      assert.equal(await s.removeNetwork(net('2001:db8::/33')), false);
      assert.equal(await s.removeNetwork(net('2001:db9::/32')), false);
      assert.equal(await s.removeNetwork(net('192.0.2.1/32')), false);
      await expect(s, ['192.0.2.1', '10.0.0.0', '2001:db8::'], []);
    },
  },
  {
    key: 'family-separation',
    title: 'IPv4 and IPv6 entries never match each other (1.2.3.4 is not ::102:304)',
    async run(s) {
      await s.addIP(ip('1.2.3.4'));
      await expect(s, ['1.2.3.4'], ['::102:304', '102:304::', '::1.2.3.4']);
      assert.equal(await s.removeIP(ip('::102:304')), false);
      assert.equal(await s.removeIP(ip('1.2.3.4')), true);
      await s.addIP(ip('::102:304'));
      await s.addIP(ip('102:304::'));
      await expect(s, ['::102:304', '102:304::'], ['1.2.3.4']);
      assert.equal(await s.removeIP(ip('1.2.3.4')), false);
      await s.addNetwork(net('1.2.0.0/16'));
      await expect(s, [], ['::102:0', '::102:ffff', '102::', '102:ffff::']);
      await s.addNetwork(net('a00::/8'));
      await expect(s, [], ['10.0.0.1']);
      assert.equal(await s.removeNetwork(net('::102:0/112')), false);
    },
  },
  {
    key: 'ipv4-zero-prefix',
    title: '0.0.0.0/0 contains every IPv4 address and no IPv6 address',
    async run(s) {
      await s.addNetwork(net('0.0.0.0/0'));
      await expect(
        s,
        ['0.0.0.0', '1.2.3.4', '127.0.0.1', '128.0.0.0', '255.255.255.255'],
        ['::', '::1', '::102:304', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
      );
      assert.equal(await s.removeNetwork(net('0.0.0.0/0')), true);
      await expect(s, [], ['1.2.3.4']);
    },
  },
  {
    key: 'ipv6-zero-prefix',
    title: '::/0 contains every IPv6 address and no IPv4 address',
    async run(s) {
      await s.addNetwork(net('::/0'));
      await expect(
        s,
        ['::', '::1', '::102:304', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
        ['0.0.0.0', '1.2.3.4', '255.255.255.255'],
      );
      assert.equal(await s.removeNetwork(net('::/0')), true);
      await expect(s, [], ['2001:db8::1']);
    },
  },
  {
    key: 'nested-networks',
    title: 'removing a network leaves the networks inside it',
    async run(s) {
      await s.addNetwork(net('10.0.0.0/8'));
      await s.addNetwork(net('10.1.0.0/16'));
      await expect(s, ['10.0.0.0', '10.1.2.3', '10.2.0.0', '10.255.255.255'], ['11.0.0.0']);
      assert.equal(await s.removeNetwork(net('10.0.0.0/8')), true);
      await expect(
        s,
        ['10.1.0.0', '10.1.2.3', '10.1.255.255'],
        ['10.0.255.255', '10.2.0.0', '10.0.0.0', '10.255.255.255'],
      );
      assert.equal(await s.removeNetwork(net('10.1.0.0/16')), true);
      await expect(s, [], ['10.1.2.3']);
    },
  },
  {
    key: 'nested-networks-inner-first',
    title: 'removing a network leaves the network around it',
    async run(s) {
      await s.addNetwork(net('10.1.0.0/16'));
      await s.addNetwork(net('10.0.0.0/8'));
      assert.equal(await s.removeNetwork(net('10.1.0.0/16')), true);
      await expect(s, ['10.1.2.3', '10.2.0.0'], ['11.1.2.3']);
      assert.equal(await s.removeNetwork(net('10.0.0.0/8')), true);
      await expect(s, [], ['10.1.2.3', '10.2.0.0']);
    },
  },
  {
    key: 'nested-networks-ipv6',
    title: 'nested IPv6 networks each stay until removed',
    async run(s) {
      await s.addNetwork(net('2001:db8::/32'));
      await s.addNetwork(net('2001:db8:1::/48'));
      await s.addNetwork(net('2001:db8:1:0:8000::/65'));
      assert.equal(await s.removeNetwork(net('2001:db8::/32')), true);
      await expect(s, ['2001:db8:1::5', '2001:db8:1:0:ffff::'], ['2001:db8:2::5', '2001:db8::']);
      assert.equal(await s.removeNetwork(net('2001:db8:1::/48')), true);
      await expect(s, ['2001:db8:1:0:8000::1'], ['2001:db8:1::5', '2001:db8:1:0:7fff::']);
    },
  },
  {
    key: 'nested-chain',
    title: 'a chain of networks inside each other, removed out of order',
    async run(s) {
      for (const n of ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '10.1.3.0/24']) {
        await s.addNetwork(net(n));
      }
      assert.equal(await s.removeNetwork(net('10.0.0.0/8')), true);
      await expect(s, ['10.1.0.0', '10.1.2.9', '10.1.3.9'], ['10.2.0.0', '10.0.1.2']);
      assert.equal(await s.removeNetwork(net('10.1.2.0/24')), true);
      await expect(s, ['10.1.2.9', '10.1.2.3'], []);
      assert.equal(await s.removeNetwork(net('10.1.0.0/16')), true);
      await expect(s, ['10.1.2.3', '10.1.3.0', '10.1.3.255'], ['10.1.2.9', '10.1.2.2', '10.1.4.0']);
      assert.equal(await s.removeNetwork(net('10.1.2.3/32')), true);
      assert.equal(await s.removeNetwork(net('10.1.3.0/24')), true);
      await expect(s, [], ['10.1.2.3', '10.1.3.0']);
    },
  },
  {
    key: 'overlapping-siblings',
    title: 'networks that share a prefix but not each other',
    async run(s) {
      await s.addNetwork(net('192.168.0.0/24'));
      await s.addNetwork(net('192.168.1.0/24'));
      await expect(s, ['192.168.0.255', '192.168.1.0'], ['192.168.2.0', '192.167.255.255']);
      assert.equal(await s.removeNetwork(net('192.168.0.0/23')), false);
      assert.equal(await s.removeNetwork(net('192.168.1.0/24')), true);
      await expect(s, ['192.168.0.255'], ['192.168.1.0']);
    },
  },
  {
    key: 'duplicate-network',
    title: 'adding a network twice is adding it once',
    async run(s) {
      await s.addNetwork(net('10.1.0.0/16'));
      await s.addNetwork(net('10.1.0.0/16'));
      await s.addNetwork(net('2001:db8::/48'));
      await s.addNetwork(net('2001:db8::/48'));
      assert.equal(await s.removeNetwork(net('10.1.0.0/16')), true);
      assert.equal(await s.removeNetwork(net('2001:db8::/48')), true);
      await expect(s, [], ['10.1.2.3', '2001:db8::1']);
      assert.equal(await s.removeNetwork(net('10.1.0.0/16')), false);
      assert.equal(await s.removeNetwork(net('2001:db8::/48')), false);
    },
  },
  {
    key: 'remove-ip-inside-network',
    title: 'removing an address that lies inside a network leaves it contained',
    async run(s) {
      await s.addNetwork(net('10.0.0.0/8'));
      await s.addIP(ip('10.1.1.1'));
      await s.addNetwork(net('2001:db8::/32'));
      await s.addIP(ip('2001:db8::1'));
      assert.equal(await s.removeIP(ip('10.1.1.1')), true);
      assert.equal(await s.removeIP(ip('2001:db8::1')), true);
      await expect(s, ['10.1.1.1', '2001:db8::1'], []);
      assert.equal(await s.removeIP(ip('10.1.1.1')), false);
    },
  },
  {
    key: 'remove-network-keeps-ips',
    title: 'removing a network leaves the addresses added on their own',
    async run(s) {
      await s.addIP(ip('10.1.1.1'));
      await s.addIP(ip('2001:db8::1'));
      await s.addNetwork(net('10.0.0.0/8'));
      await s.addNetwork(net('2001:db8::/32'));
      assert.equal(await s.removeNetwork(net('10.0.0.0/8')), true);
      assert.equal(await s.removeNetwork(net('2001:db8::/32')), true);
      await expect(s, ['10.1.1.1', '2001:db8::1'], ['10.1.1.2', '10.0.0.0', '2001:db8::2']);
    },
  },
  {
    key: 'host-bits',
    title: "a network's host bits are ignored on add and remove",
    async run(s) {
      await s.addNetwork(net('10.1.2.3/8'));
      await expect(s, ['10.200.0.1', '10.0.0.0', '10.255.255.255'], ['11.0.0.0', '9.255.255.255']);
      assert.equal(await s.removeNetwork(net('10.0.0.0/8')), true);
      await expect(s, [], ['10.1.2.3']);
      await s.addNetwork(net('10.0.0.0/8'));
      assert.equal(await s.removeNetwork(net('10.255.255.255/8')), true);
      await s.addNetwork(net('2001:db8:ffff:1::1/32'));
      await expect(s, ['2001:db8::', '2001:db8:1::1'], ['2001:db9::']);
      assert.equal(await s.removeNetwork(net('2001:db8::/32')), true);
      await expect(s, [], ['2001:db8::']);
    },
  },
  {
    key: 'host-bits-duplicate',
    title: 'two spellings of one network are one entry',
    async run(s) {
      await s.addNetwork(net('10.1.2.3/8'));
      await s.addNetwork(net('10.4.5.6/8'));
      assert.equal(await s.removeNetwork(net('10.7.8.9/8')), true);
      assert.equal(await s.removeNetwork(net('10.0.0.0/8')), false);
      await expect(s, [], ['10.1.2.3', '10.4.5.6']);
    },
  },
  {
    key: 'full-length-networks',
    title: '/32 and /128 networks hold one address, and are not address entries',
    async run(s) {
      await s.addNetwork(net('192.0.2.7/32'));
      await s.addNetwork(net('2001:db8::7/128'));
      await expect(
        s,
        ['192.0.2.7', '2001:db8::7'],
        ['192.0.2.6', '192.0.2.8', '2001:db8::6', '2001:db8::8'],
      );
      assert.equal(await s.removeIP(ip('192.0.2.7')), false);
      assert.equal(await s.removeIP(ip('2001:db8::7')), false);
      assert.equal(await s.removeNetwork(net('192.0.2.7/32')), true);
      assert.equal(await s.removeNetwork(net('2001:db8::7/128')), true);
      await expect(s, [], ['192.0.2.7', '2001:db8::7']);
    },
  },
  {
    key: 'address-and-full-length-network',
    title: 'an address and the /32 or /128 network of it are separate entries',
    async run(s) {
      for (const [a, n] of [
        ['192.0.2.7', '192.0.2.7/32'],
        ['2001:db8::7', '2001:db8::7/128'],
      ] as const) {
        await s.addIP(ip(a));
        await s.addNetwork(net(n));
        assert.equal(await s.removeNetwork(net(n)), true);
        await expect(s, [a], []);
        await s.addNetwork(net(n));
        assert.equal(await s.removeIP(ip(a)), true);
        await expect(s, [a], []);
        assert.equal(await s.removeNetwork(net(n)), true);
        await expect(s, [], [a]);
      }
    },
  },
  {
    key: 'contains-all-any',
    title: 'containsAll and containsAny, including empty lists and mixed families',
    async run(s) {
      assert.equal(await s.containsAll([]), true);
      assert.equal(await s.containsAny([]), false);
      await s.addNetwork(net('10.0.0.0/8'));
      await s.addIP(ip('2001:db8::1'));
      assert.equal(await s.containsAll([]), true);
      assert.equal(await s.containsAny([]), false);
      const inside = [ip('10.1.2.3'), ip('2001:db8::1'), ip('10.255.255.255')];
      const outside = [ip('11.0.0.0'), ip('2001:db8::2'), ip('::a01:203')];
      assert.equal(await s.containsAll(inside), true);
      assert.equal(await s.containsAny(inside), true);
      assert.equal(await s.containsAll(outside), false);
      assert.equal(await s.containsAny(outside), false);
      assert.equal(await s.containsAll([...inside, outside[0]!]), false);
      assert.equal(await s.containsAll([outside[2]!, ...inside]), false);
      assert.equal(await s.containsAny([...outside, inside[1]!]), true);
      assert.equal(await s.containsAny([inside[0]!, ...outside]), true);
    },
  },
  ...IP_STORE_MODEL_CASES,
  {
    key: 'close',
    title: 'close() resolves',
    closes: true,
    async run(s) {
      await s.addNetwork(net('10.0.0.0/8'));
      await s.addIP(ip('2001:db8::1'));
      await s.close();
    },
  },
];

/**
 * The IPStore conformance suite: every behaviour `IPStore` documents, as node:test cases, each
 * on a fresh store from `create()`. A driver's test file calls it in one statement:
 *
 *     ipStoreSuite({ name: 'RedisIPStore', create: () => new RedisIPStore({ client }) });
 */
export function ipStoreSuite(opts: IPStoreSuiteOptions): void {
  runCases('IPStore conformance', opts, CASES);
}
