// How the bench learns that a page is ready: the page logs
// console.debug('ready', performance.now()) and this reads it from the
// console. Not polled with page.evaluate: an evaluate runs Playwright's
// script on the page's main thread, and once page.goto has returned (at the
// load event) that lands in the middle of the widget's start-up (2.9 ms of
// main thread between the Wasm's arrival and its instantiation, in a trace).

/**
 * Navigates `page` to `url`; resolves with the page's ready time (ms from
 * navigation) once it said so and its load event has passed.
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @returns {Promise<number>}
 */
export async function loadReady(page, url, timeoutMs = 30000) {
  /** @type {(m: import('playwright-core').ConsoleMessage) => void} */
  let heard = () => {};
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const said = new Promise((ok, fail) => {
    timer = setTimeout(() => fail(new Error(`bench: ${url} did not say it was ready within ${timeoutMs} ms`)), timeoutMs);
    heard = (m) => {
      const [word, ms] = m.text().split(' ');
      if (word === 'ready') ok(Number(ms));
    };
    page.on('console', heard);
  });
  try {
    const [ms] = await Promise.all([said, page.goto(url)]);
    return /** @type {number} */ (ms);
  } finally {
    clearTimeout(timer);
    page.off('console', heard);
  }
}
