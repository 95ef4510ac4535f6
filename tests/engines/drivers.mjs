// One small page interface over three engines, so that scenarios.test.mjs is
// written once: Chromium through playwright-core (Debian's chromium), Firefox
// ESR over WebDriver BiDi (puppeteer-core), WebKitGTK through Debian's
// WebKitWebDriver (WebDriver classic, spoken here with fetch: the protocol is
// a handful of JSON routes), under xvfb-run as it needs a display.
//
// A page has: goto(url), eval(fn, ...args) (fn runs in the page; JSON in and
// out), type(selector, text) (real key events, caret at the end),
// typeHere(text) (to the focused element, at its caret), key(name)
// (Tab, Enter, ArrowDown…, to the focused element), click(selector),
// waitFor(fn, ...args), close(). `version` says which engine build ran.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { launch as launchChromium } from '../e2e/browser.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

/** fn applied to args, as an expression for a driver to evaluate. */
const call = (fn, args) => `(${String(fn)})(...${JSON.stringify(args)})`;

/** Polls fn in the page until it returns a truthy value. */
async function poll(page, fn, args, timeout = 15_000) {
  const until = Date.now() + timeout;
  for (;;) {
    const v = await page.eval(fn, ...args);
    if (v) return v;
    if (Date.now() > until) throw new Error(`waitFor timed out: ${String(fn).slice(0, 200)}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

const freePort = () => new Promise((ok, ko) => {
  const s = createServer().once('error', ko).listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

/** @returns {Promise<{ version: string, newPage(): Promise<any>, close(): Promise<void> }>} */
export async function launch(engine) {
  if (engine === 'chromium') return chromium();
  if (engine === 'firefox') return firefox();
  if (engine === 'webkit') return webkit();
  throw new Error(`unknown engine ${engine}`);
}

async function chromium() {
  const browser = await launchChromium();
  return {
    version: `Chromium ${browser.version()}`,
    async newPage() {
      const context = await browser.newContext();
      const p = await context.newPage();
      return pageOf(p, context, (sel, text) => p.locator(sel).pressSequentially(text));
    },
    close: () => browser.close(),
  };
}

/** The scenarios' page over a Playwright or Puppeteer page (the same calls
 * in both), with the engine's own way to type into one element. */
function pageOf(p, context, type) {
  const page = {
    goto: (url) => p.goto(url),
    // A string, run by the driver (not by the page's eval, which a strict CSP forbids).
    eval: (fn, ...args) => p.evaluate(call(fn, args)),
    type,
    typeHere: (text) => p.keyboard.type(text),
    key: (name) => p.keyboard.press(name),
    click: (sel) => p.click(sel),
    waitFor: (fn, ...args) => poll(page, fn, args),
    close: () => context.close(),
  };
  return page;
}

async function firefox() {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
    headless: true,
    extraPrefsFirefox: { 'app.update.enabled': false, 'browser.shell.checkDefaultBrowser': false },
  });
  return {
    version: await browser.version(),
    async newPage() {
      const context = await browser.createBrowserContext();
      const p = await context.newPage();
      return pageOf(p, context, async (sel, text) => {
        await p.evaluate(
          call((s) => {
            const el = document.querySelector(s);
            el.focus();
            try {
              el.setSelectionRange(el.value.length, el.value.length);
            } catch {} // type=email has no selection API; focus leaves its caret at the end
          }, [sel]),
        );
        await p.keyboard.type(text);
      });
    },
    close: () => browser.close(),
  };
}

// WebDriver classic key codes (the spec's table) of the keys the scenarios press.
const KEYS = { Tab: '\uE004', Enter: '\uE007', Escape: '\uE00C', ArrowUp: '\uE013', ArrowDown: '\uE015', Backspace: '\uE003' };

async function webkit() {
  const port = await freePort();
  // xvfb-run -a: a free display number; the driver starts MiniBrowser itself.
  const child = spawn('xvfb-run', ['-a', process.env.WEBKIT_DRIVER ?? 'WebKitWebDriver', `--port=${port}`, '--host=127.0.0.1'], {
    stdio: 'ignore', detached: true,
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body, ms) => {
    const res = await fetch(base + path, {
      method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body), signal: ms ? AbortSignal.timeout(ms) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error} ${json.value?.message}`);
    return json.value;
  };
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {}
  };
  // Also on exit: a run that ends without close() leaves no Xvfb or MiniBrowser behind.
  process.once('exit', stop);
  for (let i = 0; !(await fetch(`${base}/status`).then((r) => r.ok, () => false)); i++) {
    if (i > 200 || child.exitCode !== null) {
      stop();
      throw new Error('WebKitWebDriver did not start');
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const sessions = [];
  let version = 'WebKitGTK';
  return {
    get version() {
      return version;
    },
    async newPage() {
      // A session per page: each starts with its own storage, like a new context.
      // Starting MiniBrowser under xvfb now and then never answers (a CI run
      // waited 300 s, fetch's own limit): bounded at 60 s, and tried once more.
      const open = () => call('POST', '/session', {
        capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { args: ['--automation'] } } },
      }, 60_000);
      const session = await open().catch(open);
      version = `WebKitGTK ${session.capabilities.browserVersion}`;
      const s = `/session/${session.sessionId}`;
      sessions.push(s);
      const find = async (sel) => Object.values(await call('POST', `${s}/element`, { using: 'css selector', value: sel }))[0];
      const page = {
        goto: (url) => call('POST', `${s}/url`, { url }),
        eval: (fn, ...args) => call('POST', `${s}/execute/async`, {
          script: `const done = arguments[arguments.length - 1];
            Promise.resolve((${String(fn)}).apply(null, Array.prototype.slice.call(arguments, 0, -1))).then(
              (v) => done({ v: v === undefined ? null : v }), (e) => done({ e: String(e) }));`,
          args,
        }).then((r) => {
          if (r.e) throw new Error(r.e);
          return r.v;
        }),
        type: async (sel, text) => call('POST', `${s}/element/${await find(sel)}/value`, { text }),
        // Sent to the focused element, which keeps its caret (WebDriver moves it only on a focus change).
        typeHere: async (text) => call('POST', `${s}/element/${Object.values(await call('GET', `${s}/element/active`))[0]}/value`, { text }),
        key: (name) => call('POST', `${s}/actions`, {
          actions: [{ type: 'key', id: 'kbd', actions: [{ type: 'keyDown', value: KEYS[name] ?? name }, { type: 'keyUp', value: KEYS[name] ?? name }] }],
        }),
        click: async (sel) => call('POST', `${s}/element/${await find(sel)}/click`, {}),
        waitFor: (fn, ...args) => poll(page, fn, args),
        close: async () => {
          sessions.splice(sessions.indexOf(s), 1);
          await call('DELETE', s).catch(() => {});
        },
      };
      return page;
    },
    async close() {
      for (const s of sessions.splice(0)) await call('DELETE', s).catch(() => {});
      stop();
    },
  };
}
