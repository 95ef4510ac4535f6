import { start, FORM } from './app.js';

const form = /** @type {HTMLFormElement} */ (document.getElementById('f'));
form.innerHTML = FORM;
start(form, /** @type {HTMLElement} */ (document.getElementById('state')));
