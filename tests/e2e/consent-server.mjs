// A small consent service for the browser tests, speaking the widget ↔
// service contract (POST /v1/consents, POST /v1/match) next to the static
// files of serve.mjs, on 127.0.0.1 and a free port. It keeps every request
// it saw and the receipts it gave by Idempotency-Key; `down()` stops
// listening and drops open connections (the browser then gets "connection
// refused"), `up()` listens again on the same port. Stops with the process.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { staticFiles } from './serve.mjs';

const sha256 = (s) => createHash('sha256').update(s, 'utf8').digest('hex');
const E164 = /^\+[1-9][0-9]{5,14}$/;

/** The contract's checks of a record that the tests rely on (the real service runs fiable-core's). */
function problems(r, auth) {
  const out = [];
  const p = (path, code) => out.push({ path, code, message: code });
  if (r?.schema_version !== 1) p('schema_version', 'consent.unknown_schema_version');
  if (r?.subject === '' && !r.subject_data) p('subject', 'consent.missing_subject');
  const sd = r?.subject_data ?? {};
  if (sd.phone !== undefined && !E164.test(sd.phone)) p('subject_data.phone', 'consent.bad_phone');
  if (!r?.controller?.name || !r?.controller?.contact) p('controller', 'consent.missing_controller');
  if (!Array.isArray(r?.purposes) || !r.purposes.length) p('purposes', 'consent.no_purpose');
  for (const [i, pu] of (r?.purposes ?? []).entries()) {
    if (!pu.text?.trim()) p(`purposes[${i}].text`, 'consent.missing_purpose_text');
    if (pu.text_sha256 !== '' && pu.text_sha256 !== sha256(pu.text ?? '')) p(`purposes[${i}].text_sha256`, 'consent.text_hash_mismatch');
    if (!['granted', 'refused'].includes(pu.decision)) p(`purposes[${i}].decision`, 'consent.unknown_decision');
    if (pu.decision === 'granted' && pu.legal_basis === 'consent' && pu.affirmative_action !== true) p(`purposes[${i}].affirmative_action`, 'consent.granted_without_action');
  }
  if (['web', 'app'].includes(r?.channel) && !r.collector?.site) p('collector.site', 'consent.missing_collector');
  if (['store', 'phone'].includes(r?.channel) && !r.collector?.advisor_id) p('collector.advisor_id', 'consent.missing_collector');
  if (!r?.form?.id || !r?.form?.version) p('form', 'consent.missing_form');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(r?.acted_at ?? '')) p('acted_at', 'consent.bad_time');
  if (['store', 'phone'].includes(r?.channel) && auth !== 'advisor') return null; // 401, before the record is judged
  return out;
}

const json = (res, status, body, headers = {}) => res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

/**
 * `keys`: API key → scope ("advisor" | "admin"); `match(query)`: the matches
 * /v1/match answers for a query. Returns { url, requests, ledger, throttle(n, s), down(), up(), close() }:
 * `requests` every /v1/ request ({ path, key, auth, contentType, status, body });
 * `ledger` the records stored, by Idempotency-Key.
 */
export async function consentServer({ keys = {}, match = () => [] } = {}) {
  const requests = [];
  const ledger = new Map();
  const sockets = new Set();
  /** The next `throttled` consent posts get 429 with Retry-After `retryAfter`. */
  let throttled = 0;
  let retryAfter = 0;

  async function api(req, res, url) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const auth = bearer ? keys[bearer] : undefined;
    const seen = {
      path: url.pathname, auth, bearer, contentType: req.headers['content-type'] ?? '',
      // The header; a beacon (which cannot set one) sends it as ?idempotency_key=.
      key: req.headers['idempotency-key'] ?? url.searchParams.get('idempotency_key') ?? undefined,
      beacon: url.searchParams.has('idempotency_key'),
    };
    requests.push(seen);
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      seen.status = 400;
      return json(res, 400, { error: { code: 'request.bad_json', message: 'not JSON' } });
    }
    seen.body = body;
    if (req.method === 'POST' && url.pathname === '/v1/match') {
      if (!auth) return json(res, (seen.status = 401), { error: { code: 'auth.required', message: 'advisor key needed' } });
      if (!Object.keys(body).length) return json(res, (seen.status = 400), { error: { code: 'match.empty', message: 'nothing to match on' } });
      return json(res, (seen.status = 200), { matches: match(body) });
    }
    if (req.method !== 'POST') return json(res, (seen.status = 405), { error: { code: 'method' } });
    if (url.pathname === '/v1/consents' && throttled > 0) {
      throttled--;
      return json(res, (seen.status = 429), { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': String(retryAfter) });
    }
    if (!seen.key || seen.key.length > 255) return json(res, (seen.status = 400), { error: { code: 'consent.bad_idempotency_key' } });
    const before = ledger.get(seen.key);
    if (before) {
      if (before.text !== text) return json(res, (seen.status = 409), { error: { code: 'consent.idempotency_conflict' } });
      return json(res, (seen.status = 200), before.receipt, { 'idempotent-replayed': 'true' });
    }
    const bad = problems(body, auth);
    if (bad === null) return json(res, (seen.status = 401), { error: { code: 'auth.required', message: 'an advisor key is needed' } });
    if (bad.length) return json(res, (seen.status = 422), { error: { code: 'consent.invalid', message: 'invalid record', problems: bad } });
    const seq = ledger.size + 1;
    const receipt = {
      id: body.record_id || randomBytes(16).toString('hex'), seq, hash: sha256(text), prev_hash: '0'.repeat(64),
      signed_at: new Date().toISOString(), signature: 'test', public_key: 'test', subject: `subj-${sha256(body.subject_data?.email ?? '').slice(0, 16)}`,
    };
    ledger.set(seen.key, { text, record: body, receipt });
    return json(res, (seen.status = 201), receipt);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/v1/consents' || url.pathname === '/v1/match') return api(req, res, url).catch(() => res.writeHead(500).end());
    return staticFiles(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  server.unref();
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    ledger,
    /** The next `n` consent posts are refused with 429 and `Retry-After: seconds`. */
    throttle: (n, seconds) => {
      throttled = n;
      retryAfter = seconds;
    },
    /** Stops listening and closes every connection: the browser now gets "connection refused". */
    down: () => new Promise((ok) => {
      server.close(() => ok());
      for (const s of sockets) s.destroy();
    }),
    up: () => new Promise((ok, ko) => server.once('error', ko).listen(port, '127.0.0.1', () => ok())),
    close: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
