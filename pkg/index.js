// fiable for browsers and bundlers: `await init()` once, then call the checks.
export * from './api.js';
export { init } from './init.js';
export { attach } from './widget.js';
export { checkConfig } from './config.js';
