//! The users file: who may connect, with which role, and a SCRAM-SHA-256 verifier of
//! their password (never the password).
//!
//! The file is TOML, owner-only (mode 0600), one `[[user]]` table per user:
//!
//! ```toml
//! [[user]]
//! name = "director"
//! role = "leadership"
//! scram = "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>"
//! ```
//!
//! The verifier is PostgreSQL's own format (`pg_authid.rolpassword`), so a verifier can
//! be copied from a PostgreSQL server and back. It holds StoredKey and ServerKey, from
//! which a password cannot be recovered and with which a client cannot log in.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The SCRAM iteration count of new verifiers (PostgreSQL's default).
pub const ITERATIONS: u32 = 4096;

/// What a user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The leadership views only.
    Leadership,
    /// Every published table (but the quarantine) and every view.
    Analyst,
}

impl Role {
    /// The role's name in the users file and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Role::Leadership => "leadership",
            Role::Analyst => "analyst",
        }
    }

    /// The role named `text`.
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "leadership" => Some(Role::Leadership),
            "analyst" => Some(Role::Analyst),
            _ => None,
        }
    }
}

/// One user of the users file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The login name.
    pub name: String,
    /// What the user may see.
    pub role: Role,
    /// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`.
    pub scram: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    user: Vec<User>,
}

/// The parts of a SCRAM-SHA-256 verifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    /// Iteration count.
    pub iterations: u32,
    /// Salt.
    pub salt: Vec<u8>,
    /// H(HMAC(SaltedPassword, "Client Key")).
    pub stored_key: Vec<u8>,
    /// HMAC(SaltedPassword, "Server Key").
    pub server_key: Vec<u8>,
}

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA-256 of `data` under `key`.
pub(crate) fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

impl Verifier {
    /// The verifier of `password` with this salt and iteration count.
    pub fn new(password: &str, salt: &[u8], iterations: u32) -> Verifier {
        // SASLprep, then RFC 5802's Hi(): pgwire's, as the protocol's other side uses it.
        let salted = pgwire::api::auth::sasl::scram::gen_salted_password(
            password,
            salt,
            iterations as usize,
        );
        let client_key = hmac(&salted, b"Client Key");
        Verifier {
            iterations,
            salt: salt.to_vec(),
            stored_key: Sha256::digest(&client_key).to_vec(),
            server_key: hmac(&salted, b"Server Key"),
        }
    }

    /// A new verifier of `password` with a random 16-byte salt.
    pub fn generate(password: &str) -> Verifier {
        let salt: [u8; 16] = rand::random();
        Verifier::new(password, &salt, ITERATIONS)
    }

    /// PostgreSQL's text form.
    pub fn to_text(&self) -> String {
        format!(
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            STANDARD.encode(&self.salt),
            STANDARD.encode(&self.stored_key),
            STANDARD.encode(&self.server_key)
        )
    }

    /// Reads PostgreSQL's text form.
    pub fn parse(text: &str) -> Option<Verifier> {
        let rest = text.strip_prefix("SCRAM-SHA-256$")?;
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let decode = |s: &str| STANDARD.decode(s).ok();
        let verifier = Verifier {
            iterations: iterations.parse().ok().filter(|i| *i >= 1)?,
            salt: decode(salt)?,
            stored_key: decode(stored)?,
            server_key: decode(server)?,
        };
        (verifier.stored_key.len() == 32 && verifier.server_key.len() == 32).then_some(verifier)
    }
}

/// Why the users file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// No users file.
    #[error(
        "{}: no users file; add a user first: retention users add NAME --role leadership --users {}",
        .0.display(), .0.display()
    )]
    Missing(PathBuf),
    /// Readable by others.
    #[error(
        "{}: the users file is readable by other users (mode {:o}); it holds password verifiers: chmod 600 {}",
        .0.display(), .1, .0.display()
    )]
    Permissions(PathBuf, u32),
    /// Not valid.
    #[error("{}: {}", .0.display(), .1)]
    Invalid(PathBuf, String),
    /// Cannot be read or written.
    #[error("{}: {}", .0.display(), .1)]
    Io(PathBuf, std::io::Error),
    /// A user that exists or does not.
    #[error("{0}")]
    Name(String),
}

/// The users of a users file.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: Vec<User>,
}

impl Users {
    /// Reads the users file, refusing one that others can read and any verifier that is
    /// not SCRAM-SHA-256.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let users = Users::read(path)?;
        if users.users.is_empty() {
            return Err(UsersError::Missing(path.to_path_buf()));
        }
        Ok(users)
    }

    /// Reads the users file; a missing file is no user.
    fn read(path: &Path) -> Result<Users, UsersError> {
        use std::os::unix::fs::PermissionsExt;
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Users::default()),
            Err(e) => return Err(UsersError::Io(path.to_path_buf(), e)),
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(UsersError::Permissions(path.to_path_buf(), mode));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| UsersError::Io(path.to_path_buf(), e))?;
        let file: File = toml::from_str(&text)
            .map_err(|e| UsersError::Invalid(path.to_path_buf(), e.to_string()))?;
        for (i, u) in file.user.iter().enumerate() {
            if Verifier::parse(&u.scram).is_none() {
                return Err(UsersError::Invalid(
                    path.to_path_buf(),
                    format!(
                        "user {:?} (the {} [[user]]): scram is not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>); set the password again with `retention users add {} --role {}`",
                        u.name,
                        ordinal(i + 1),
                        u.name,
                        u.role.name()
                    ),
                ));
            }
            if file.user[..i].iter().any(|v| v.name == u.name) {
                return Err(UsersError::Invalid(
                    path.to_path_buf(),
                    format!("user {:?} is listed twice; remove one", u.name),
                ));
            }
        }
        Ok(Users { users: file.user })
    }

    /// The user named `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Every user, in file order.
    pub fn all(&self) -> &[User] {
        &self.users
    }

    /// Adds a user (or sets an existing user's role and password) and writes the file
    /// owner-only, atomically. Returns whether the user existed.
    pub fn add(path: &Path, name: &str, role: Role, password: &str) -> Result<bool, UsersError> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-@".contains(c))
        {
            return Err(UsersError::Name(format!(
                "{name:?} is not a user name: use letters, digits and _ . - @"
            )));
        }
        let mut users = Users::read(path)?;
        let user = User {
            name: name.to_string(),
            role,
            scram: Verifier::generate(password).to_text(),
        };
        let existed = match users.users.iter_mut().find(|u| u.name == name) {
            Some(u) => {
                *u = user;
                true
            }
            None => {
                users.users.push(user);
                false
            }
        };
        users.write(path)?;
        Ok(existed)
    }

    /// Removes a user and writes the file.
    pub fn remove(path: &Path, name: &str) -> Result<(), UsersError> {
        let mut users = Users::read(path)?;
        let before = users.users.len();
        users.users.retain(|u| u.name != name);
        if users.users.len() == before {
            return Err(UsersError::Name(format!(
                "{}: no user {name:?}; `retention users list` shows them",
                path.display()
            )));
        }
        users.write(path)
    }

    /// Lists the users of a file (none when it does not exist).
    pub fn list(path: &Path) -> Result<Users, UsersError> {
        Users::read(path)
    }

    fn write(&self, path: &Path) -> Result<(), UsersError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let io = |e| UsersError::Io(path.to_path_buf(), e);
        let text = toml::to_string(&File {
            user: self.users.clone(),
        })
        .expect("users serialise");
        let text = format!(
            "# retention's users: name, role (leadership or analyst) and a SCRAM-SHA-256\n# verifier. Edit with `retention users add|remove`; keep this file mode 0600.\n\n{text}"
        );
        let tmp = path.with_extension("toml.tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        _ => format!("{n}th"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677's test vector: user "user", password "pencil", salt
    /// W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations, and PostgreSQL's verifier of it.
    #[test]
    fn the_verifier_matches_rfc_7677() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = Verifier::new("pencil", &salt, 4096);
        // ServerSignature of RFC 7677's exchange, from its ServerKey.
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        assert_eq!(
            STANDARD.encode(hmac(&v.server_key, auth_message.as_bytes())),
            "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
        );
        // The client's proof, XOR its ClientSignature, hashes to StoredKey.
        let proof = STANDARD
            .decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
            .unwrap();
        let signature = hmac(&v.stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        assert_eq!(Sha256::digest(&client_key).to_vec(), v.stored_key);
        assert_eq!(Verifier::parse(&v.to_text()), Some(v));
    }

    #[test]
    fn the_file_is_owner_only_and_holds_no_password() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        assert!(matches!(Users::load(&path), Err(UsersError::Missing(_))));
        assert!(!Users::add(&path, "director", Role::Leadership, "s3cret pass").unwrap());
        assert!(!Users::add(&path, "ana", Role::Analyst, "other").unwrap());
        assert!(Users::add(&path, "director", Role::Leadership, "new pass").unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("pass") && !text.contains("other"), "{text}");
        let users = Users::load(&path).unwrap();
        assert_eq!(users.all().len(), 2);
        assert_eq!(users.get("ana").unwrap().role, Role::Analyst);
        Users::remove(&path, "ana").unwrap();
        assert!(Users::remove(&path, "ana").is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Users::load(&path).unwrap_err().to_string();
        assert!(e.contains("(mode 644)") && e.contains("chmod 600"), "{e}");
    }
}
