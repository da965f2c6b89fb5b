//! The OAuth pieces every provider's sign-in shares (Whop's and DocuSign's): PKCE (S256) logins
//! waiting for their redirect, the strict `dealdesk://` deep-link parser, and the RFC 8252
//! loopback listener. Each provider keeps its own token endpoint and token record, and maps
//! [`OAuthError`] into its own error with its own words.

mod deeplink;
mod error;
mod loopback;
mod pending;

pub use deeplink::{Callback, parse_deep_link_at, parse_query};
pub use error::{DeepLinkError, OAuthError};
pub use loopback::LoopbackListener;
pub use pending::{PendingLogins, Pkce};
