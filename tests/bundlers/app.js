// The page every toolchain's app builds: the package imported the way a
// developer would (`from 'fiable'`, nothing else), its state written as JSON
// into #state for tests/bundlers/bundlers.test.mjs to read. Copied into each
// app's src/ by the test (a bundler resolves `fiable` from the app's own
// node_modules, not from here).
import { init, validateAsync, attach } from 'fiable';

/** @param {HTMLFormElement} form @param {HTMLElement} out */
export async function start(form, out) {
  const state = {};
  const put = (key, value) => {
    state[key] = value;
    out.textContent = JSON.stringify(state);
  };
  try {
    await init();
    put('init', true);
    put('suggestion', (await validateAsync('email', 'jean.dupont@gmial.com')).suggestion);
    const communes = await validateAsync('postcode', '01000', { country: 'FR' });
    put('communes', communes.details?.cities ?? []);
    const handle = attach(form, {
      locale: 'fr',
      country: 'FR',
      fields: {
        email: { selector: '[name=email]', type: 'email' },
        postcode: { selector: '[name=postcode]', type: 'postcode' },
        city: { selector: '[name=city]', type: 'city' },
      },
    });
    put('ready', await handle.ready);
  } catch (e) {
    put('error', String(e?.stack ?? e));
  }
}

/** The form's markup, shared by the plain HTML apps and the React one. */
export const FORM = `<label>E-mail <input name="email"></label>
<label>Code postal <input name="postcode" inputmode="numeric"></label>
<label>Ville <input name="city"></label>
<button type="submit">OK</button>`;
