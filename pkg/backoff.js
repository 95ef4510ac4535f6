// A 429 from a lookup service pauses every call the page makes to it (the
// remote checks, consent delivery, the advisor's duplicate check) for its
// Retry-After: shared by the lazily loaded modules, keyed by the service's
// origin. Meanwhile the local verdicts stand and consent records stay queued.

/** Without a usable Retry-After, and the longest pause obeyed (seconds). */
const DEFAULT_S = 30;
const MAX_S = 3600;
/** Until when (ms since the epoch) each origin asked not to be called. */
const until = new Map();

const origin = (url) => {
  try {
    return new URL(url, document.baseURI).origin;
  } catch {
    return String(url);
  }
};

/** Seconds from a Retry-After header: delay-seconds or an HTTP date. */
export function retryAfter(h) {
  const s = /^\s*\d+\s*$/.test(h ?? '') ? Number(h) : (Date.parse(h ?? '') - Date.now()) / 1000;
  return Number.isFinite(s) && s > 0 ? Math.min(Math.ceil(s), MAX_S) : DEFAULT_S;
}

/** Notes a 429 answer of the service at `url`. */
export function noteAnswer(url, res) {
  if (res.status === 429) until.set(origin(url), Date.now() + retryAfter(res.headers.get('retry-after')) * 1000);
}

/** Milliseconds the service at `url` asked the page to wait still (0: call it). */
export function pausedFor(url) {
  return Math.max(0, (until.get(origin(url)) ?? 0) - Date.now());
}
