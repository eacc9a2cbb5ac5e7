//! Connection startup: TLS required when the server has it, the connection limit, and
//! password login by SCRAM-SHA-256 against the users file's verifiers.
//!
//! Written by hand rather than with pgwire's `SASLAuthStartupHandler`: its SCRAM asks its
//! `AuthSource` for the SaltedPassword, which is password-equivalent (whoever reads it can
//! log in), while PostgreSQL and this server keep only StoredKey and ServerKey. The
//! exchange is RFC 5802/7677's; the state is per connection (one handler per connection).

use crate::users::{Role, Users, Verifier, hmac};
use crate::{Shared, connection_log};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    DefaultServerParameterProvider, StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{
    ClientInfo, PgWireConnectionState, PidSecretKeyGenerator, RandomPidSecretKeyGenerator,
};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use sha2::{Digest, Sha256};
use std::fmt::Debug;
use std::sync::Arc;
use tokio::sync::Mutex;

/// The metadata key under which a logged-in connection's role is kept.
pub const METADATA_ROLE: &str = "retention.role";

/// Why a connection is refused before any password is asked.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// More connections than `--max-connections`.
    TooMany(usize),
}

/// What the server sent and must check the client's final message against.
struct Exchange {
    user: Option<(String, Role)>,
    verifier: Verifier,
    gs2_header: String,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

enum State {
    Initial,
    ServerFirstSent(Box<Exchange>),
    Done,
}

/// The startup handler of one connection.
pub struct Startup {
    shared: Arc<Shared>,
    refusal: Option<Refusal>,
    state: Mutex<State>,
}

impl Startup {
    /// A handler for a new connection; `refusal` refuses it at its startup message.
    pub fn new(shared: Arc<Shared>, refusal: Option<Refusal>) -> Startup {
        Startup {
            shared,
            refusal,
            state: Mutex::new(State::Initial),
        }
    }
}

/// A FATAL error with a SQLSTATE, which ends the connection.
pub(crate) fn fatal(code: &str, message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message,
    )))
}

fn parameters() -> DefaultServerParameterProvider {
    let mut p = DefaultServerParameterProvider::default();
    p.default_transaction_read_only = true;
    p
}

/// `n=...,r=...` of a client-first message: its gs2 header and bare part.
fn split_client_first(message: &str) -> PgWireResult<(String, String, String)> {
    let bad = || PgWireError::InvalidScramMessage(format!("bad client-first-message {message:?}"));
    let (cbind, rest) = message.split_once(',').ok_or_else(bad)?;
    let (authzid, bare) = rest.split_once(',').ok_or_else(bad)?;
    match cbind {
        "n" | "y" => {}
        _ => {
            return Err(fatal(
                "28000",
                "SCRAM channel binding is not offered by this server: connect with channel_binding=disable or prefer".into(),
            ));
        }
    }
    let nonce = bare
        .split(',')
        .find_map(|f| f.strip_prefix("r="))
        .filter(|n| !n.is_empty())
        .ok_or_else(bad)?;
    Ok((
        format!("{cbind},{authzid},"),
        bare.to_string(),
        nonce.to_string(),
    ))
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                let user = client.metadata().get("user").cloned().unwrap_or_default();
                let peer = client.socket_addr();
                if self.shared.tls && !client.is_secure() {
                    connection_log(&user, None, peer, "refused: not TLS");
                    return Err(fatal(
                        "28000",
                        "this server accepts TLS connections only: connect with sslmode=require"
                            .into(),
                    ));
                }
                if let Some(Refusal::TooMany(max)) = &self.refusal {
                    connection_log(&user, None, peer, "refused: too many connections");
                    return Err(fatal(
                        "53300",
                        format!(
                            "sorry, too many clients already: this server takes {max} connections at a time (--max-connections); try again later"
                        ),
                    ));
                }
                client.set_state(PgWireConnectionState::AuthenticationInProgress);
                client
                    .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                        vec!["SCRAM-SHA-256".to_string()],
                    )))
                    .await?;
            }
            PgWireFrontendMessage::PasswordMessageFamily(msg) => {
                let mut state = self.state.lock().await;
                match &*state {
                    State::Initial => {
                        let initial = msg.into_sasl_initial_response()?;
                        if initial.auth_method != "SCRAM-SHA-256" {
                            return Err(PgWireError::UnsupportedSASLAuthMethod(
                                initial.auth_method,
                            ));
                        }
                        let data = initial.data.unwrap_or_default();
                        let text = std::str::from_utf8(&data)
                            .map_err(|_| PgWireError::InvalidScramMessage("not UTF-8".into()))?;
                        let (gs2_header, client_first_bare, client_nonce) =
                            split_client_first(text)?;
                        let name = client.metadata().get("user").cloned().unwrap_or_default();
                        let user = Users::load(&self.shared.users_file)
                            .ok()
                            .and_then(|u| u.get(&name).cloned());
                        // An unknown user gets the same exchange with a verifier no
                        // password matches, so that names cannot be probed.
                        let (user, verifier) = match user.and_then(|u| {
                            Verifier::parse(&u.scram).map(|v| ((u.name.clone(), u.role), v))
                        }) {
                            Some((u, v)) => (Some(u), v),
                            None => {
                                let salt = hmac(&self.shared.secret, name.as_bytes());
                                let v = Verifier {
                                    iterations: crate::users::ITERATIONS,
                                    salt: salt[..16].to_vec(),
                                    stored_key: hmac(&self.shared.secret, b"no such user"),
                                    server_key: hmac(&self.shared.secret, b"no such key"),
                                };
                                (None, v)
                            }
                        };
                        let server_nonce = STANDARD.encode(rand::random::<[u8; 18]>());
                        let nonce = format!("{client_nonce}{server_nonce}");
                        let server_first = format!(
                            "r={nonce},s={},i={}",
                            STANDARD.encode(&verifier.salt),
                            verifier.iterations
                        );
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLContinue(server_first.clone().into()),
                            ))
                            .await?;
                        *state = State::ServerFirstSent(Box::new(Exchange {
                            user,
                            verifier,
                            gs2_header,
                            client_first_bare,
                            server_first,
                            nonce,
                        }));
                    }
                    State::ServerFirstSent(exchange) => {
                        let Exchange {
                            user,
                            verifier,
                            gs2_header,
                            client_first_bare,
                            server_first,
                            nonce,
                        } = exchange.as_ref();
                        let response = msg.into_sasl_response()?;
                        let text = std::str::from_utf8(&response.data)
                            .map_err(|_| PgWireError::InvalidScramMessage("not UTF-8".into()))?;
                        let name = client.metadata().get("user").cloned().unwrap_or_default();
                        let peer = client.socket_addr();
                        let (without_proof, proof) = text
                            .rsplit_once(",p=")
                            .ok_or_else(|| PgWireError::InvalidScramMessage("no proof".into()))?;
                        let field = |key: &str| {
                            without_proof
                                .split(',')
                                .find_map(|f| f.strip_prefix(key))
                                .unwrap_or_default()
                        };
                        let binding_ok = STANDARD.decode(field("c=")).ok().as_deref()
                            == Some(gs2_header.as_bytes());
                        let auth_message =
                            format!("{client_first_bare},{server_first},{without_proof}");
                        let signature = hmac(&verifier.stored_key, auth_message.as_bytes());
                        let proof = STANDARD.decode(proof).unwrap_or_default();
                        let client_key: Vec<u8> =
                            proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
                        let matches = proof.len() == signature.len()
                            && constant_time_eq(&Sha256::digest(&client_key), &verifier.stored_key);
                        let role = match user {
                            Some((_, role)) if matches && binding_ok && field("r=") == nonce => {
                                *role
                            }
                            _ => {
                                *state = State::Done;
                                connection_log(
                                    &name,
                                    None,
                                    peer,
                                    "refused: wrong user or password",
                                );
                                return Err(fatal(
                                    "28P01",
                                    format!("password authentication failed for user \"{name}\""),
                                ));
                            }
                        };
                        let server_signature = hmac(&verifier.server_key, auth_message.as_bytes());
                        client
                            .send(PgWireBackendMessage::Authentication(
                                Authentication::SASLFinal(
                                    format!("v={}", STANDARD.encode(server_signature)).into(),
                                ),
                            ))
                            .await?;
                        *state = State::Done;
                        client
                            .metadata_mut()
                            .insert(METADATA_ROLE.into(), role.name().into());
                        let (pid, key) = RandomPidSecretKeyGenerator::default().generate(client);
                        client.set_pid_and_secret_key(pid, key);
                        connection_log(&name, Some(role), peer, "accepted");
                        finish_authentication(client, &parameters()).await?;
                    }
                    State::Done => return Err(PgWireError::InvalidSASLState),
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_first_messages_are_split_as_rfc_5802_says() {
        let (gs2, bare, nonce) = split_client_first("n,,n=,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        assert_eq!(
            (gs2.as_str(), bare.as_str(), nonce.as_str()),
            ("n,,", "n=,r=rOprNGfwEbeRWgbNEkqO", "rOprNGfwEbeRWgbNEkqO")
        );
        // base64("n,,") is the c= of the client-final message.
        assert_eq!(STANDARD.encode(gs2), "biws");
        assert!(split_client_first("p=tls-server-end-point,,n=,r=x").is_err());
        assert!(split_client_first("n,,n=user").is_err());
    }
}
