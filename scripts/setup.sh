#!/usr/bin/env bash
# Installs what `make demo` (setup.sh demo) or `make test` (setup.sh test)
# needs and is missing, then stays out of the way: when everything is
# present it only looks (well under a second, no network, no apt-get update).
#
#   demo: a Rust toolchain >= rust-version, the wasm32 target and rust-src, wasm-bindgen-cli
#         at the Cargo.lock version, Node with the packages of package-lock.json
#         (wasm-opt comes from npm's binaryen, esbuild from npm too).
#   test: all of the above, plus Chromium and chromedriver, Firefox ESR,
#         WebKitWebDriver and Xvfb (tests/engines/), dnsmasq, exim4 and the
#         PostgreSQL server binaries the tests start (Debian packages: apt-get
#         when run as root, otherwise one message with the exact command).
#
# Called by the Makefile and by .ci/run; safe to run again at any time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

level=${1:-demo}
case $level in demo | test) ;; *) echo "usage: $0 [demo|test]" >&2; exit 2 ;; esac

cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
export PATH="$cargo_bin:$PATH"

step() { echo "setup: $*"; }
die() { echo "setup: $*" >&2; exit 1; }

# --- detection: each prints nothing and succeeds when the thing is there ---

# "1.85" <= "1.95.0"? Compares numerically, field by field.
version_ge() {
  local IFS=.
  local -a have=($1) want=($2)
  local i
  for i in 0 1 2; do
    local h=${have[i]:-0} w=${want[i]:-0}
    ((10#$h > 10#$w)) && return 0
    ((10#$h < 10#$w)) && return 1
  done
  return 0
}

# The workspace's rust-version (Cargo.toml, [workspace.package]).
rust_version_wanted() { sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -1; }

# The wasm-bindgen version Cargo.lock pins (the CLI must match it exactly).
wasm_bindgen_wanted() { awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock; }
wasm_bindgen_found() { wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true; }

# The target's standard library sits in the sysroot whoever installed it.
has_wasm_target() { [ -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib" ]; }
# std's sources (the rust-src component): `make pkg` rebuilds std for the Wasm (-Zbuild-std).
has_rust_src() { [ -f "$(rustc --print sysroot)/lib/rustlib/src/rust/library/std/Cargo.toml" ]; }

# node_modules matches package-lock.json: npm ci leaves a stamp of the lock it
# installed (mtimes say nothing after a git clone or checkout).
lock_sum() { sha256sum package-lock.json | cut -d' ' -f1; }
node_modules_current() { [ -x node_modules/.bin/wasm-opt ] && [ "$(cat node_modules/.fiable-lock 2>/dev/null)" = "$(lock_sum)" ]; }

# Debian packages the tests start, by the file each provides.
missing_debs() {
  local -a need=()
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || need+=(chromium)
  [ -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ] || need+=(chromium-driver)
  [ -x "${FIABLE_DNSMASQ:-/usr/sbin/dnsmasq}" ] || command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
  [ -x "${PG_BIN:-/nonexistent}/initdb" ] || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
  command -v python3 >/dev/null || need+=(python3) # make tables-check
  # tests/api/run.sh: schemathesis from PyPI in a virtualenv (Debian splits venv and ensurepip out).
  python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
  # The SMTP tests' MTA (lookup/tests/common/mta.rs) and its certificate.
  [ -x "${FIABLE_EXIM:-/usr/sbin/exim4}" ] || need+=(exim4-daemon-light)
  command -v openssl >/dev/null || need+=(openssl)
  # tests/engines/: Firefox ESR (over WebDriver BiDi), WebKitGTK's driver, a virtual display for it.
  command -v firefox-esr >/dev/null || need+=(firefox-esr)
  command -v WebKitWebDriver >/dev/null || need+=(webkit2gtk-driver)
  command -v xvfb-run >/dev/null || need+=(xvfb)
  echo "${need[*]}"
}

# --- installation -------------------------------------------------------

# Only the detection functions are wanted (tests/node/setup.test.mjs).
if [ "${FIABLE_SETUP_SOURCE_ONLY:-}" = 1 ]; then return 0; fi

command -v cargo >/dev/null && command -v rustc >/dev/null \
  || die "no Rust toolchain: install it with rustup (https://rustup.rs), then run this again"
want=$(rust_version_wanted)
have=$(rustc --version | awk '{print $2}')
version_ge "${have%%-*}" "$want" \
  || die "Rust $have is older than fiable's rust-version $want: run 'rustup update stable' (or install a newer toolchain)"

if ! has_wasm_target; then
  command -v rustup >/dev/null \
    || die "the wasm32-unknown-unknown target is missing and rustup is not there to add it: install Rust with rustup (https://rustup.rs)"
  step "adding the Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if ! has_rust_src; then
  command -v rustup >/dev/null \
    || die "the rust-src component (std's sources, rebuilt for the Wasm) is missing and rustup is not there to add it: install Rust with rustup (https://rustup.rs)"
  step "adding the Rust component rust-src"
  rustup component add rust-src
fi

want=$(wasm_bindgen_wanted)
have=$(wasm_bindgen_found)
if [ "$have" != "$want" ]; then
  step "installing wasm-bindgen-cli $want (found: ${have:-none}), a few minutes"
  # --locked pins the CLI's own dependencies; if the registry no longer
  # serves one of them, fall back to a fresh resolution of the same version.
  cargo install wasm-bindgen-cli --version "$want" --locked \
    || cargo install wasm-bindgen-cli --version "$want"
  [ "$(wasm_bindgen_found)" = "$want" ] || die "wasm-bindgen $want is not the one on PATH ($(command -v wasm-bindgen))"
fi

command -v node >/dev/null && command -v npm >/dev/null \
  || die "Node.js and npm are missing: apt-get install nodejs npm (Node 20 or newer)"
if ! node_modules_current; then
  step "installing the Node packages (npm ci)"
  npm ci --no-audit --no-fund
  lock_sum >node_modules/.fiable-lock
fi

[ "$level" = test ] || exit 0

read -r -a need <<<"$(missing_debs)"
if [ ${#need[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y ${need[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    die "the tests need Debian packages that are missing; run: sudo sh -c '$cmd'"
  fi
  step "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}"
fi
