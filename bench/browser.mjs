// The headless Chromium of every bench script, launched with one set of
// flags. Extra flags for an experiment: CHROMIUM_FLAGS="--flag --other".
// (Tried: --disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,
// PreloadTopChromeWebUI, which stops each new browser context from building
// the omnibox's WebUI in a renderer of its own, 400 module scripts in a
// trace: page loads unchanged within noise, two A/B runs.)
import { chromium } from 'playwright-core';

const flags = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** @returns {Promise<import('playwright-core').Browser>} */
export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [...flags, ...(process.env.CHROMIUM_FLAGS ?? '').split(' ').filter(Boolean)],
});
