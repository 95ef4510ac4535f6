console.debug('ready', performance.now()); // load-noop.html: the floor of a deferred script tag
