// The load generator of the HTTP benchmark, in a worker thread so that it does not share the event
// loop of the service it measures. Sends the prepared requests in order (each one once: distinct
// callbacks and cases) over `connections` keep-alive connections with autocannon, and posts back its
// figures. Plain JavaScript: a worker thread does not go through the TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';

const { url, connections, requests, maxSeconds } = workerData;
let next = 0;
// autocannon notices that the last answer came only at its next one-second sample, so its own duration is a
// whole number of seconds (plus a few milliseconds): the rate is measured from the first request built to
// the last answer instead.
let firstBuiltAt = null;
let lastAnsweredAt = null;

const opts = {
  url,
  connections,
  amount: requests.length,
  timeout: 30,
  requests: [
    {
      setupRequest(request) {
        firstBuiltAt ??= performance.now();
        const r = requests[next++ % requests.length];
        return { ...request, method: r.method, path: r.path, headers: { ...request.headers, ...r.headers }, body: r.body };
      },
    },
  ],
};

const instance = autocannon(opts, (err, raw) => {
  clearTimeout(watchdog);
  if (err) {
    parentPort.postMessage({ error: String(err?.stack ?? err) });
    return;
  }
  // Off the main thread autocannon hands back its raw histograms; aggregate them as it does on the main thread.
  const result = autocannon.aggregateResult([raw], opts);
  parentPort.postMessage({
    requests: result.requests.total,
    seconds: firstBuiltAt !== null && lastAnsweredAt !== null ? (lastAnsweredAt - firstBuiltAt) / 1000 : result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
  });
});

instance.on('response', () => {
  lastAnsweredAt = performance.now();
});

// Bounded in time as well as in count: a service that stalls ends the measurement, not the run.
const watchdog = setTimeout(() => instance.stop(), maxSeconds * 1000);
