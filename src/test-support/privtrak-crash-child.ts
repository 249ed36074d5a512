// A tracker process for privtrak's crash tests: records the crash workload with a spool, does
// what the scenario says, then dies by SIGKILL (no close, no flush, no exit handlers).
// Usage: node privtrak-crash-child.js <spool> <ledger.json> <scenario>
import { Privtrak } from '../middleware/privtrak/privtrak.js';
import { privtrakOptionsSchema } from '../middleware/privtrak/privtrak-options.js';
import { CRASH_TORRENTS, TestLedger, TestTorrents, crashStep } from './privtrak-support.js';

const [spool, ledgerFile, scenario] = process.argv.slice(2);
if (spool === undefined || ledgerFile === undefined)
  throw new Error('usage: <spool> <ledger> <scenario>');
const ledger = new TestLedger(ledgerFile);
const torrents = new TestTorrents();
for (const t of CRASH_TORRENTS) torrents.add(t);
const p = Privtrak.open(privtrakOptionsSchema.parse({ spool, maxBatch: 3 }), {
  handler: ledger,
  torrents,
  timers: false,
});

function step(j: number): void {
  for (const r of crashStep(j)) p.record(r);
  // The announces of step j are acknowledged only now, after record() returned.
  process.stdout.write(`ack ${j}\n`);
}

switch (scenario) {
  case 'pending':
    for (let j = 0; j <= 4; j++) step(j);
    break;
  case 'committed-then-pending':
    for (let j = 0; j <= 2; j++) step(j);
    if (!(await p.flush())) throw new Error('flush failed');
    for (let j = 3; j <= 4; j++) step(j);
    break;
  case 'kill-after-apply':
  case 'kill-before-apply':
    for (let j = 0; j <= 4; j++) step(j);
    ledger.faults = ['ok', scenario];
    await p.flush();
    break;
  default:
    throw new Error(`unknown scenario ${scenario}`);
}
process.kill(process.pid, 'SIGKILL');
