/**
 * The stats page: static HTML and a script that polls /stats.json and draws chart.js charts
 * (served from the admin listener, no CDN). The script keeps its charts on
 * `window.shoalCharts` so a browser test can read what they show.
 */
export const STATS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shoal tracker stats</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2329; }
  header { padding: 12px 20px; background: #123; color: #fff; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  #summary span { margin-right: 18px; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; padding: 16px; }
  section { background: #fff; border-radius: 6px; padding: 12px; box-shadow: 0 1px 3px #0002; }
  section h2 { font-size: 14px; margin: 0 0 8px; }
  .chart { position: relative; height: 260px; }
  #error { color: #b00; }
</style>
</head>
<body>
<header><h1>Shoal</h1><div id="summary">loading…</div><div id="error"></div></header>
<main>
  <section><h2>Announces per second, by protocol</h2><div class="chart"><canvas id="rate"></canvas></div></section>
  <section><h2>Swarms and peers</h2><div class="chart"><canvas id="swarm"></canvas></div></section>
  <section><h2>Peers by address family</h2><div class="chart"><canvas id="family"></canvas></div></section>
  <section><h2>Top torrents (peers)</h2><div class="chart"><canvas id="top"></canvas></div></section>
</main>
<script src="assets/chart.umd.js"></script>
<script src="assets/stats.js"></script>
</body>
</html>
`;

export const STATS_PAGE_SCRIPT = `'use strict';
(function () {
  var POINTS = 120;
  var params = new URLSearchParams(location.search);
  var every = Math.max(250, Number(params.get('interval')) || 2000);
  var colors = { http: '#1f77b4', udp: '#ff7f0e', ws: '#2ca02c' };
  function line(id, sets) {
    return new Chart(document.getElementById(id), {
      type: 'line',
      data: { labels: [], datasets: sets.map(function (s) {
        return { label: s[0], borderColor: s[1], backgroundColor: s[1], data: [], pointRadius: 2, tension: 0.2 };
      }) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
    });
  }
  var charts = {
    rate: line('rate', [['http', colors.http], ['udp', colors.udp], ['ws', colors.ws]]),
    swarm: line('swarm', [['swarms', '#9467bd'], ['seeders', '#2ca02c'], ['leechers', '#d62728']]),
    family: new Chart(document.getElementById('family'), {
      type: 'doughnut',
      data: { labels: ['IPv4', 'IPv6'], datasets: [{ data: [0, 0], backgroundColor: ['#1f77b4', '#ff7f0e'] }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false },
    }),
    top: new Chart(document.getElementById('top'), {
      type: 'bar',
      data: { labels: [], datasets: [
        { label: 'seeders', data: [], backgroundColor: '#2ca02c' },
        { label: 'leechers', data: [], backgroundColor: '#d62728' },
      ] },
      options: { animation: false, indexAxis: 'y', responsive: true, maintainAspectRatio: false,
        scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } },
    }),
  };
  window.shoalCharts = charts;
  window.shoalUpdates = 0;
  var prev = null;
  function push(chart, label, values) {
    chart.data.labels.push(label);
    values.forEach(function (v, i) { chart.data.datasets[i].data.push(v); });
    if (chart.data.labels.length > POINTS) {
      chart.data.labels.shift();
      chart.data.datasets.forEach(function (d) { d.data.shift(); });
    }
    chart.update();
  }
  function announces(s, p) { return s.requests && s.requests[p] ? s.requests[p].announce : 0; }
  function update(s) {
    if (prev !== null && s.time === prev.time) return; // the same (cached) snapshot
    var label = new Date(s.time).toLocaleTimeString();
    if (prev !== null && s.time > prev.time) {
      var dt = (s.time - prev.time) / 1000;
      push(charts.rate, label, ['http', 'udp', 'ws'].map(function (p) {
        return Math.max(0, (announces(s, p) - announces(prev, p)) / dt);
      }));
    }
    prev = s;
    var st = s.store;
    push(charts.swarm, label, st ? [st.swarms, st.seeders, st.leechers] : [0, 0, 0]);
    var fam = st ? [st.peers4, st.peers6] : s.families ? [s.families.ipv4, s.families.ipv6] : [0, 0];
    charts.family.data.datasets[0].data = fam;
    charts.family.update();
    charts.top.data.labels = s.top.map(function (t) { return t.infoHash.slice(0, 12) + '…'; });
    charts.top.data.datasets[0].data = s.top.map(function (t) { return t.seeders; });
    charts.top.data.datasets[1].data = s.top.map(function (t) { return t.leechers; });
    charts.top.update();
    document.getElementById('summary').textContent = '';
    [['swarms', st ? st.swarms : '-'], ['seeders', st ? st.seeders : '-'], ['leechers', st ? st.leechers : '-'],
     ['uptime', s.uptimeSeconds + ' s']].forEach(function (kv) {
      var span = document.createElement('span');
      span.textContent = kv[0] + ': ' + kv[1];
      document.getElementById('summary').appendChild(span);
    });
    window.shoalUpdates++;
  }
  function poll() {
    fetch('stats.json', { cache: 'no-store' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (s) { document.getElementById('error').textContent = ''; update(s); })
      .catch(function (e) { document.getElementById('error').textContent = 'stats unavailable: ' + e.message; })
      .finally(function () { setTimeout(poll, every); });
  }
  poll();
})();
`;
