// scripts/setup.sh on a machine that lacks things, simulated: fake tools in
// a temporary PATH, a sysroot without the wasm32 target, a fresh checkout
// without node_modules. The real installs (rustup, cargo install, npm ci,
// apt-get) are what the branches below lead to; these tests check that each
// absence is seen, and that a present thing is left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const script = join(root, 'scripts/setup.sh');

/** Runs `body` in bash after sourcing the script's detection functions. */
function detect(body, env = {}, cwd = root) {
  const r = spawnSync('bash', ['-c', `FIABLE_SETUP_SOURCE_ONLY=1 source "${script}"; cd "${cwd}"; ${body}`], {
    env: { ...process.env, ...env }, encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

/** A directory of fake executables: name → shell script body. */
function fakeBin(tools) {
  const dir = mkdtempSync(join(tmpdir(), 'fiable-setup-'));
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

test('rust-version comparison is numeric, field by field', () => {
  for (const [have, want, ok] of [['1.95.0', '1.85', true], ['1.85.0', '1.85', true], ['1.84.1', '1.85', false],
    ['1.100.0', '1.85', true], ['2.0.0', '1.85', true], ['1.9.0', '1.85', false]]) {
    assert.equal(detect(`version_ge ${have} ${want}`).code === 0, ok, `${have} >= ${want}`);
  }
  const cargoToml = readFileSync(join(root, 'Cargo.toml'), 'utf8');
  assert.equal(detect('rust_version_wanted').out, cargoToml.match(/^rust-version = "(.+)"/m)[1]);
});

test('a toolchain older than rust-version stops the script with the command that fixes it', () => {
  const bin = fakeBin({ cargo: 'exit 0', rustc: 'echo "rustc 1.70.0 (90c541806 2023-05-31)"' });
  const r = spawnSync('bash', [script, 'demo'], {
    env: { ...process.env, PATH: `${bin}:/usr/bin:/bin`, CARGO_HOME: bin }, encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Rust 1\.70\.0 is older than fiable's rust-version 1\.85: run 'rustup update stable'/);
});

test('no Rust at all is named, with where to get it', () => {
  const bin = fakeBin({});
  const r = spawnSync('/bin/bash', [script, 'demo'], { env: { PATH: `${bin}:/usr/bin:/bin`, HOME: bin, CARGO_HOME: bin }, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no Rust toolchain: install it with rustup/);
});

test('a sysroot without the wasm32 target is seen as missing, and with it as present', () => {
  const sysroot = mkdtempSync(join(tmpdir(), 'fiable-sysroot-'));
  const bin = fakeBin({ rustc: `echo "${sysroot}"` });
  const env = { PATH: `${bin}:/usr/bin:/bin`, CARGO_HOME: bin };
  assert.notEqual(detect('has_wasm_target', env).code, 0);
  mkdirSync(join(sysroot, 'lib/rustlib/wasm32-unknown-unknown/lib'), { recursive: true });
  assert.equal(detect('has_wasm_target', env).code, 0);
});

test('a sysroot without std\'s sources (rust-src) is seen as missing, and with them as present', () => {
  const sysroot = mkdtempSync(join(tmpdir(), 'fiable-sysroot-'));
  const bin = fakeBin({ rustc: `echo "${sysroot}"` });
  const env = { PATH: `${bin}:/usr/bin:/bin`, CARGO_HOME: bin };
  assert.notEqual(detect('has_rust_src', env).code, 0);
  mkdirSync(join(sysroot, 'lib/rustlib/src/rust/library/std'), { recursive: true });
  writeFileSync(join(sysroot, 'lib/rustlib/src/rust/library/std/Cargo.toml'), '[package]\n');
  assert.equal(detect('has_rust_src', env).code, 0);
});

test('wasm-bindgen: absent, another version, the Cargo.lock version', () => {
  const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
  const want = lock.match(/name = "wasm-bindgen"\nversion = "([^"]+)"/)[1];
  assert.equal(detect('wasm_bindgen_wanted').out, want);
  const none = fakeBin({});
  assert.equal(detect('wasm_bindgen_found', { PATH: `${none}:/usr/bin:/bin`, CARGO_HOME: none }).out, '');
  const old = fakeBin({ 'wasm-bindgen': 'echo "wasm-bindgen 0.2.99"' });
  assert.equal(detect('wasm_bindgen_found', { PATH: `${old}:/usr/bin:/bin`, CARGO_HOME: old }).out, '0.2.99');
  const right = fakeBin({ 'wasm-bindgen': `echo "wasm-bindgen ${want}"` });
  assert.equal(detect('wasm_bindgen_found', { PATH: `${right}:/usr/bin:/bin`, CARGO_HOME: right }).out, want);
});

test('node_modules: missing, stale after a lock change, current once stamped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fiable-checkout-'));
  copyFileSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
  assert.notEqual(detect('node_modules_current', {}, dir).code, 0, 'no node_modules');
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  writeFileSync(join(dir, 'node_modules/.bin/wasm-opt'), '#!/bin/sh\n');
  chmodSync(join(dir, 'node_modules/.bin/wasm-opt'), 0o755);
  assert.notEqual(detect('node_modules_current', {}, dir).code, 0, 'node_modules without the stamp of this lock');
  writeFileSync(join(dir, 'node_modules/.fiable-lock'), `${detect('lock_sum', {}, dir).out}\n`);
  assert.equal(detect('node_modules_current', {}, dir).code, 0);
  writeFileSync(join(dir, 'package-lock.json'), '{}\n');
  assert.notEqual(detect('node_modules_current', {}, dir).code, 0, 'the lock changed since');
});

test('the Debian packages of the tests: each absent one is named by its package', () => {
  const gone = { CHROMIUM: '/nonexistent/chromium', CHROMEDRIVER: '/nonexistent/chromedriver', FIABLE_DNSMASQ: '/nonexistent/dnsmasq', FIABLE_EXIM: '/nonexistent/exim4' };
  const none = fakeBin({});
  const r = detect('missing_debs', { ...gone, PATH: `${none}:/usr/bin:/bin` }).out.split(' ');
  for (const p of ['chromium', 'chromium-driver', 'dnsmasq-base', 'exim4-daemon-light']) assert.ok(r.includes(p), `${p} in ${r}`);
  // This machine has them (make test needs them): nothing to install.
  const here = execFileSync('bash', ['-c', `FIABLE_SETUP_SOURCE_ONLY=1 source "${script}"; missing_debs`], { encoding: 'utf8' });
  assert.equal(here.trim(), '');
});

test('not root: one message with the exact apt-get command, and a non-zero exit', () => {
  // Everything of `demo` is present (make test ran the script first), so the
  // run reaches the Debian packages without installing anything.
  const ready = detect('has_wasm_target && has_rust_src && [ "$(wasm_bindgen_found)" = "$(wasm_bindgen_wanted)" ] && node_modules_current');
  assert.equal(ready.code, 0, 'run scripts/setup.sh first');
  const bin = fakeBin({ id: 'echo 1000' });
  const r = spawnSync('bash', [script, 'test'], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CHROMIUM: '/nonexistent/chromium' }, encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim(), "setup: the tests need Debian packages that are missing; run: sudo sh -c 'apt-get update && apt-get install -y chromium'");
});
