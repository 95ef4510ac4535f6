//! SMTP: the client side, one session ([`client`]), the mailbox probe
//! that stops before DATA ([`probe`], `GET /v1/email/mailbox`), and the
//! relay that sends the service's own mails ([`relay`], `--smtp-relay`);
//! and, for the demo only, a receiver that keeps what it is sent ([`sink`]).
//! Any feature that must write to a person sends through [`relay::Relay`].
pub mod client;
pub mod probe;
pub mod relay;
pub mod sink;
