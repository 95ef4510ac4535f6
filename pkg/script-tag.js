/*! fiable script tag (pkg/script-tag.js, minified by `make pkg`); see README.md */
// <script src=".../dist/fiable.js" defer data-form="#signup" data-config='{…}'></script>
// (or <script type="application/json" data-fiable>). Adds ../fiable.css and imports ./widget.js (the
// minified bundle `make pkg` writes next to it), both relative to its own URL.
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
  // The Wasm fetched while widget.js loads (init() then takes the preloaded
  // response: ready one round trip sooner), when a form to attach to is on
  // this page: a tag in a site-wide layout fetches no Wasm elsewhere.
  var forms = [me.getAttribute('data-form')];
  var configs = document.querySelectorAll('script[data-fiable]');
  for (var j = 0; j < configs.length; j++) forms.push(configs[j].getAttribute('data-form'));
  var here = false;
  for (var k = 0; k < forms.length; k++) {
    try {
      here = here || !!(forms[k] && document.querySelector(/** @type {string} */ (forms[k])));
    } catch (e) {} // not a selector: widget.js says so
  }
  if (here) {
    var wasm = document.createElement('link');
    wasm.rel = 'preload';
    wasm.as = 'fetch';
    wasm.crossOrigin = 'anonymous';
    wasm.href = new URL('./fiable_first_bg.wasm', me.src).href;
    document.head.appendChild(wasm);
  }
  import(new URL('./widget.js', me.src).href).then(
    function (m) { m.autoAttach(me); },
    function (e) { console.error('fiable: could not load; the form works without it.', e); }
  );
})();
