/*! fiable script tag (pkg/script-tag.js, minified by `make pkg`); see README.md */
// <script src=".../dist/fiable.js" defer data-form="#signup" data-config='{…}'></script>
// (or <script type="application/json" data-fiable>). Adds ../fiable.css, relative to its own URL, and
// attaches the widget, bundled into the same file by `make pkg` (pkg/tools/build-tag.mjs): a
// separate widget.js was evaluated after the Wasm had come, on the way to ready. The Wasm is
// fetched by init() when a form is attached, so a tag in a site-wide layout fetches none on the
// pages without its form.
import { autoAttach } from './widget.js';

(function () {
  'use strict';
  var me = /** @type {HTMLScriptElement | null} */ (document.currentScript);
  if (!me || !me.src) return;
  if (me.getAttribute('data-css') !== 'none') {
    /** @type {string | null} */
    var href = new URL('../fiable.css', me.src).href;
    var links = /** @type {NodeListOf<HTMLLinkElement>} */ (document.querySelectorAll('link[rel~="stylesheet"]'));
    for (var i = 0; i < links.length; i++) if (links[i].href === href) href = null;
    if (href) {
      var link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      document.head.appendChild(link);
    }
  }
  // A second tag on the page (one per form, say) runs a second copy of this
  // bundle: it hands its tag to the first copy, so that the page has one
  // widget and one Wasm, and each form is attached once.
  var key = Symbol.for('fiable.autoAttach');
  var shared = /** @type {any} */ (window);
  var attachTag = shared[key] || (shared[key] = autoAttach);
  try {
    attachTag(me);
  } catch (e) {
    console.error('fiable: could not start; the form works without it.', e);
  }
})();
