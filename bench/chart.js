'use strict';
/**
 * The limit chart for BENCHMARKS.md, as plain SVG: requests started per 100 ms (bars) and
 * requests started in the trailing window (line), against the limit (dashed).
 */
const BUCKET_MS = 100;

function limitChart(starts, limit, windowMs) {
  const t0 = starts[0];
  const span = starts[starts.length - 1] - t0 + windowMs;
  const buckets = new Array(Math.ceil(span / BUCKET_MS)).fill(0);
  for (const at of starts) buckets[Math.floor((at - t0) / BUCKET_MS)] += 1;
  const trailing = buckets.map((_, i) => {
    const end = t0 + (i + 1) * BUCKET_MS;
    return starts.filter((at) => at < end && at >= end - windowMs).length;
  });

  const width = 900;
  const height = 320;
  const left = 60;
  const right = 20;
  const top = 30;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const yMax = Math.ceil((limit * 1.15) / 50) * 50;
  const x = (i) => left + (i / buckets.length) * plotW;
  const y = (value) => top + plotH - (value / yMax) * plotH;
  const barW = Math.max(1, plotW / buckets.length - 1);

  const bars = buckets.map((count, i) => (count
    ? `<rect x="${x(i).toFixed(1)}" y="${y(count).toFixed(1)}" width="${barW.toFixed(1)}" height="${(top + plotH - y(count)).toFixed(1)}" fill="#8fd19e"/>`
    : '')).join('');
  const line = trailing.map((count, i) => `${i ? 'L' : 'M'}${x(i + 1).toFixed(1)},${y(count).toFixed(1)}`).join(' ');
  const seconds = Math.floor(span / 1000);
  const xTicks = Array.from({ length: seconds + 1 }, (_, s) => {
    const px = x((s * 1000) / BUCKET_MS);
    return `<line x1="${px}" y1="${top + plotH}" x2="${px}" y2="${top + plotH + 5}" stroke="#555"/><text x="${px}" y="${top + plotH + 18}" font-size="11" text-anchor="middle">${s}</text>`;
  }).join('');
  const yTicks = Array.from({ length: yMax / 50 + 1 }, (_, k) => {
    const py = y(k * 50);
    return `<line x1="${left - 5}" y1="${py}" x2="${left + plotW}" y2="${py}" stroke="#eee"/><text x="${left - 8}" y="${py + 4}" font-size="11" text-anchor="end">${k * 50}</text>`;
  }).join('');

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="${width}" height="${height}" fill="#fff"/>
${yTicks}
${bars}
<path d="${line}" fill="none" stroke="#1f5fa8" stroke-width="2"/>
<line x1="${left}" y1="${y(limit)}" x2="${left + plotW}" y2="${y(limit)}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="6 4"/>
<text x="${left + plotW - 4}" y="${y(limit) - 6}" font-size="12" text-anchor="end" fill="#c0392b">limit: ${limit} per ${windowMs / 1000} s</text>
<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#555"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#555"/>
${xTicks}
<text x="${left + plotW / 2}" y="${height - 10}" font-size="12" text-anchor="middle">seconds since the first request (as the sandbox received them)</text>
<text x="${left}" y="18" font-size="13">${starts.length} requests: started per ${BUCKET_MS} ms (bars) and in the trailing ${windowMs / 1000} s window (line)</text>
</svg>
`;
}

const COLOURS = ['#1f5fa8', '#e67e22', '#27ae60', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d'];

/**
 * The scale-out chart: for each run, requests the sandbox accepted in the trailing window,
 * as requests per second, against the allowed rate (dashed). runs: [{label, accepted}].
 */
function rateChart(runs, limit, windowMs) {
  const allowed = limit / (windowMs / 1000);
  const series = runs.map((run) => {
    const t0 = run.accepted[0];
    const span = run.accepted[run.accepted.length - 1] - t0;
    const points = [];
    for (let end = BUCKET_MS; end <= span + BUCKET_MS; end += BUCKET_MS) {
      const inWindow = run.accepted.filter((at) => at - t0 < end && at - t0 >= end - windowMs).length;
      points.push([end, inWindow / (windowMs / 1000)]);
    }
    return { label: run.label, points };
  });
  const width = 900;
  const height = 340;
  const left = 60;
  const right = 200;
  const top = 30;
  const bottom = 50;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xMax = Math.max(...series.map((one) => one.points[one.points.length - 1][0]));
  const yMax = Math.ceil((allowed * 1.25) / 10) * 10;
  const x = (ms) => left + (ms / xMax) * plotW;
  const y = (value) => top + plotH - (Math.min(value, yMax) / yMax) * plotH;
  const lines = series.map((one, i) => `<path d="${one.points.map(([ms, rate], k) => `${k ? 'L' : 'M'}${x(ms).toFixed(1)},${y(rate).toFixed(1)}`).join(' ')}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.5"/>`).join('\n');
  const legend = series.map((one, i) => `<rect x="${left + plotW + 15}" y="${top + i * 20}" width="12" height="3" fill="${COLOURS[i % COLOURS.length]}"/><text x="${left + plotW + 32}" y="${top + i * 20 + 5}" font-size="11">${one.label}</text>`).join('');
  const seconds = Math.floor(xMax / 1000);
  const step = seconds > 20 ? 5 : 1;
  const xTicks = Array.from({ length: Math.floor(seconds / step) + 1 }, (_, k) => {
    const px = x(k * step * 1000);
    return `<line x1="${px}" y1="${top + plotH}" x2="${px}" y2="${top + plotH + 5}" stroke="#555"/><text x="${px}" y="${top + plotH + 18}" font-size="11" text-anchor="middle">${k * step}</text>`;
  }).join('');
  const yStep = yMax > 50 ? 10 : 5;
  const yTicks = Array.from({ length: yMax / yStep + 1 }, (_, k) => {
    const py = y(k * yStep);
    return `<line x1="${left - 5}" y1="${py}" x2="${left + plotW}" y2="${py}" stroke="#eee"/><text x="${left - 8}" y="${py + 4}" font-size="11" text-anchor="end">${k * yStep}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="${width}" height="${height}" fill="#fff"/>
${yTicks}
${lines}
<line x1="${left}" y1="${y(allowed)}" x2="${left + plotW}" y2="${y(allowed)}" stroke="#c0392b" stroke-width="1.5" stroke-dasharray="6 4"/>
<text x="${left + plotW - 4}" y="${y(allowed) - 6}" font-size="12" text-anchor="end" fill="#c0392b">allowed: ${allowed}/s</text>
<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#555"/>
<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#555"/>
${xTicks}
${legend}
<text x="${left + plotW / 2}" y="${height - 10}" font-size="12" text-anchor="middle">seconds since the run's first request</text>
<text x="${left}" y="18" font-size="13">requests per second Plivo's stand-in accepted (trailing ${windowMs / 1000} s window), all runtimes of a run together</text>
</svg>
`;
}

module.exports = { limitChart, rateChart };
