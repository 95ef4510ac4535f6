//! Generated tables (see `data/gen/`). Do not edit the generated files.
