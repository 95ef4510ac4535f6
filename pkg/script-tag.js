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
  import(new URL('./widget.js', me.src).href).then(
    function (m) { m.autoAttach(me); },
    function (e) { console.error('fiable: could not load; the form works without it.', e); }
  );
})();
