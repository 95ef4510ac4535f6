/*! fiable script tag (pkg/script-tag.js, minified by `make pkg`); see README.md */
// <script src=".../dist/fiable.js" defer data-form="#signup" data-config='{…}'></script>
// (or <script type="application/json" data-fiable>). Adds the widget's stylesheet (../fiable.css, carried inside), and
// attaches the widget, bundled into the same file by `make pkg` (pkg/tools/build-tag.mjs): a
// separate widget.js was evaluated after the Wasm had come, on the way to ready. The Wasm is
// fetched by init() when a form is attached, so a tag in a site-wide layout fetches none on the
// pages without its form.
/* global FIABLE_CSS */
import { autoAttach } from './widget.js';

(function () {
  'use strict';
  var me = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  if (!me || !me.src) return;
  // A second tag on the page (one per form, say) runs a second copy of this
  // bundle: it hands its tag to the first copy, so that the page has one
  // widget, one stylesheet and one Wasm, and each form is attached once.
  var key = Symbol.for('fiable.autoAttach');
  var shared = /** @type {any} */ (window);
  var first = !shared[key];
  if (first && me.getAttribute('data-css') !== 'none') {
    // The stylesheet travels inside this file (pkg/tools/build-tag.mjs puts
    // pkg/fiable.css, minified, in FIABLE_CSS) and is adopted as a
    // constructed sheet: no second request, no restyle when one arrives, and
    // CSP's style-src does not apply to it (a strict page works, e2e test).
    // Not if the page links fiable.css itself; a link where constructed
    // sheets are missing (or this file runs unbuilt).
    var href = new URL('../fiable.css', me.src).href;
    var links = /** @type {NodeListOf<HTMLLinkElement>} */ (document.querySelectorAll('link[rel~="stylesheet"]'));
    var linked = false;
    for (var i = 0; i < links.length; i++) if (links[i].href === href) linked = true;
    if (!linked && typeof FIABLE_CSS === 'string' && typeof CSSStyleSheet === 'function' && 'adoptedStyleSheets' in document && 'replaceSync' in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(FIABLE_CSS);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    } else if (!linked) {
      var link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      document.head.appendChild(link);
    }
  }
  var attachTag = shared[key] || (shared[key] = autoAttach);
  try {
    attachTag(me);
  } catch (e) {
    console.error('fiable: could not start; the form works without it.', e);
  }
})();
