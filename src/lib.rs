//! fiable: the WebAssembly side. Translation only; every rule is in fiable-core.
