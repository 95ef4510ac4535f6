/*! fiable script-tag entry (copied to dist/fiable.js by `make pkg`):
 *  <script src=".../dist/fiable.js" defer data-form="#signup" data-config='{…}'></script>
 *  or a <script type="application/json" data-fiable data-form="#signup">{…}</script> config.
 *  A classic script (no build step): it adds ../fiable.css (unless data-css="none")
 *  and imports ./widget.js (pkg/widget.js and what it uses, minified by
 *  `make pkg`), both relative to its own URL, so it works from a CDN path or
 *  a sub-folder; the .wasm and data chunks follow the same way. */
(function () {
  'use strict';
  var me = document.currentScript;
  if (!me || !me.src) return;
  if (me.getAttribute('data-css') !== 'none') {
    var href = new URL('../fiable.css', me.src).href;
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
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
