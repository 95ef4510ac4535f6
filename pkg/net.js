// The one way the lazily loaded modules call the lookup service: no cookies,
// JSON accepted, given up after a timeout (AbortSignal.timeout) or when the
// caller's own signal aborts (a newer value superseded the call), and a 429
// noted so every later call to that service waits for its Retry-After.
import { noteAnswer, pausedFor } from './backoff.js';

/** A signal that aborts after `ms`, or as soon as `signal` does. */
function within(ms, signal) {
  const timeout = AbortSignal.timeout(ms);
  if (!signal) return timeout;
  if (AbortSignal.any) return AbortSignal.any([signal, timeout]);
  // Browsers before AbortSignal.any (Safari < 17.4): the same, by hand.
  const both = new AbortController();
  const stop = () => both.abort();
  for (const s of [signal, timeout]) s.aborted ? stop() : s.addEventListener('abort', stop, { once: true });
  return both.signal;
}

/**
 * fetch(url) on the service, at most `ms` long, aborted with `signal`.
 * Resolves to the Response, or null without calling while the service's 429
 * pause lasts (./backoff.js); rejects as fetch does (network, abort, timeout).
 * The timeout covers reading the body too.
 * @param {string | URL} url
 * @param {number} ms
 * @param {RequestInit} [init]
 * @param {AbortSignal | null} [signal]
 * @returns {Promise<Response | null>}
 */
export async function call(url, ms, init = {}, signal = null) {
  if (pausedFor(url)) return null;
  const headers = { accept: 'application/json', ...init.headers };
  const res = await fetch(url, { ...init, headers, credentials: 'omit', signal: within(ms, signal) });
  noteAnswer(url, res);
  return res;
}
