/** Turns charts into files: SVG strings server-side (ECharts SSR) and one self-contained HTML page. */
import { readFileSync } from 'node:fs'
import * as echarts from 'echarts'
import { type Chart, HEIGHT, WIDTH } from './charts.ts'
import { netnsProvenance, netnsTables } from './netns-report.ts'
import { type Headline, provenance, summaryTables, type Table } from './summary.ts'
import type { Results } from './types.ts'

/**
 * Renders one chart to an SVG document with ECharts' server-side renderer (no DOM needed), then
 * gives it a <title> (screen readers, and the linter's a11y rule) and drops the CDATA wrapper of
 * its hover styles (plain CSS without `<` or `&`), which the repository's linter cannot parse.
 */
export function renderSvg(chart: Chart, width = WIDTH, height = HEIGHT): string {
  const instance = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  let svg: string
  try {
    instance.setOption({ ...chart.option, animation: false })
    svg = instance.renderToSVGString()
  } finally {
    instance.dispose()
  }
  const title = (chart.option.title as { text?: string } | undefined)?.text ?? chart.id
  return svg
    .replace(/^<svg[^>]*>/, (open) => `${open}\n<title>${escapeHtml(title)}</title>`)
    .replace(/<style\s*><!\[CDATA\[([^<&]*?)\]\]>\s*<\/style>/g, (_, css: string) => `<style>${css.trim()}\n</style>`)
}

/**
 * The browser build of ECharts (the "common" bundle: line, bar, scatter, pie and the usual
 * components), read from node_modules so the page needs no network.
 */
export function echartsBundle(): string {
  return readFileSync(new URL('./dist/echarts.common.min.js', import.meta.resolve('echarts')), 'utf8')
}

const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

/** JSON that can sit inside a <script> element: no `</script>`, no `<!--`. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')
}

function tableHtml(t: Table): string {
  const head = t.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n')
  const note = t.note ? `<p class="note">${escapeHtml(t.note)}</p>` : ''
  return `<section class="table"><h3>${escapeHtml(t.title)}</h3><table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>${note}</section>`
}

/**
 * Draws every chart on load, then marks the page: `data-charts-ready` on <html> counts the
 * charts that have data in every series and drew SVG paths; the title says the same. The
 * browser test reads them.
 */
const CLIENT = `
(function () {
  var charts = JSON.parse(document.getElementById('chart-data').textContent);
  var ready = 0;
  var instances = [];
  charts.forEach(function (c) {
    var el = document.getElementById('chart-' + c.id);
    try {
      var chart = echarts.init(el, null, { renderer: 'svg' });
      chart.setOption(c.option);
      instances.push(chart);
      var series = chart.getOption().series || [];
      var hasData = series.length > 0 && series.every(function (s) { return s.data && s.data.length > 0; });
      var drawn = el.querySelectorAll('path').length > 0;
      el.setAttribute('data-rendered', hasData && drawn ? 'ok' : 'empty');
      if (hasData && drawn) ready++;
    } catch (e) {
      el.setAttribute('data-rendered', 'error');
      el.textContent = 'This chart failed to render: ' + e.message;
    }
  });
  window.addEventListener('resize', function () { instances.forEach(function (i) { i.resize(); }); });
  document.documentElement.setAttribute('data-charts-ready', String(ready));
  document.documentElement.setAttribute('data-charts-total', String(charts.length));
  document.title = 'Murmur benchmark report (' + ready + '/' + charts.length + ' charts)';
})();
`

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; color: #1a202c; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { margin-bottom: 4px; } .meta, .note { color: #4a5568; font-size: 14px; }
.chart { width: 100%; height: ${HEIGHT + 40}px; margin: 28px 0; border: 1px solid #e2e8f0; border-radius: 6px; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; } th, td { border: 1px solid #e2e8f0; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f7fafc; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 8px 32px; }
.failures { color: #c53030; } code { background: #f7fafc; padding: 1px 4px; }
`

/** The whole report as one HTML file: inline CSS, the ECharts bundle, the chart options and the tables. */
export function reportHtml(results: Results, h: Headline, charts: Chart[], command: string): string {
  const failures =
    results.failures.length === 0
      ? ''
      : `<section class="failures"><h2>Failed runs (${results.failures.length})</h2><ul>${results.failures
          .map((f) => `<li><b>${escapeHtml(f.what)}</b>: ${escapeHtml(f.error)}</li>`)
          .join('')}</ul></section>`
  const netns =
    results.netns === undefined
      ? ''
      : `<h2>Real network</h2>\n<p class="meta">${escapeHtml(netnsProvenance(results.netns, command))}</p>\n` +
        `<div class="tables">${netnsTables(results.netns).map(tableHtml).join('\n')}</div>`
  const divs = charts.map((c) => `<div class="chart" id="chart-${c.id}" role="img"></div>`).join('\n')
  const data = charts.map((c) => ({ id: c.id, option: c.option }))
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Murmur benchmark report</title>
<style>${CSS}</style>
</head>
<body>
<h1>Murmur benchmark report</h1>
<p class="meta">${escapeHtml(provenance(results, h, command))}</p>
<p class="meta">Three numbers decide a membership library: how fast it detects a real failure, how rarely it
accuses a live member, and what it costs per member as the cluster grows. The simulator runs the real engine in
virtual time with fixed seeds (same seeds, same figures); the real-cluster figures come from <code>murmur agent</code>
processes on this machine and vary from run to run.</p>
${failures}
<h2>Headline figures</h2>
<div class="tables">${results.sim.length > 0 || results.cluster.length > 0 ? summaryTables(h).map(tableHtml).join('\n') : ''}</div>
${netns}
<h2>Charts</h2>
${divs}
<script>${echartsBundle().replaceAll('</script', '<\\/script')}</script>
<script type="application/json" id="chart-data">${scriptJson(data)}</script>
<script>${CLIENT}</script>
</body>
</html>
`
}
