import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry, register as globalRegistry } from 'prom-client';
import { ControlledKvStore } from '../stores/controlled-kv-store.js';
import { MemoryKvStore } from '../stores/memory-kv-store.js';
import { KV_OPS_METRIC, KV_SECONDS_METRIC, MetricsKvStore } from './metrics-kv-store.js';

describe('MetricsKvStore', () => {
  it('counts operations by store, op and result, and times them', async () => {
    const failing = new ControlledKvStore();
    const registry = new Registry();
    const m = new MetricsKvStore({ store: new MemoryKvStore(), registry, label: 'mem' });
    const f = new MetricsKvStore({ store: failing, registry, label: 'bad' });
    await Promise.all([m.open(), f.open()]);
    await m.put('a', Buffer.from('1'));
    await m.get('a');
    await m.get('b');
    await m.del('a');
    failing.failPuts = new Error('nope');
    await assert.rejects(f.put('a', Buffer.from('1')));
    const text = await registry.metrics();
    assert.match(text, new RegExp(`${KV_OPS_METRIC}\\{store="mem",op="put",result="ok"\\} 1`));
    assert.match(text, new RegExp(`${KV_OPS_METRIC}\\{store="mem",op="get",result="ok"\\} 1`));
    assert.match(text, new RegExp(`${KV_OPS_METRIC}\\{store="mem",op="get",result="miss"\\} 1`));
    assert.match(text, new RegExp(`${KV_OPS_METRIC}\\{store="mem",op="del",result="ok"\\} 1`));
    assert.match(
      text,
      new RegExp(`${KV_OPS_METRIC}\\{store="bad",op="put",result="SHOAL_E_KV_IO"\\} 1`),
    );
    assert.match(text, new RegExp(`${KV_SECONDS_METRIC}_count\\{store="mem",op="get"\\} 2`));
    await Promise.all([m.close(), f.close()]);
  });

  it('uses a registry of its own by default, never the global one', async () => {
    const m = new MetricsKvStore({ store: new MemoryKvStore() });
    await m.open();
    await m.put('a', Buffer.from('1'));
    assert.match(await m.registry.metrics(), /store="memory",op="put",result="ok"\} 1/);
    assert.equal(globalRegistry.getSingleMetric(KV_OPS_METRIC), undefined);
    await m.close();
  });
});
