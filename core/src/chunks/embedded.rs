//! Every chunk compiled in (feature `embedded-chunks`: the service, tests).

include!("../tables/embedded_chunks.rs");
