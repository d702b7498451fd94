//! Passwords hashed with argon2id into PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$…`): the
//! string carries its own parameters, so a hash made under older settings still verifies.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// The shortest password accepted, in bytes.
pub const PASSWORD_BYTES_MIN: usize = 12;
/// The longest password accepted, in bytes.
pub const PASSWORD_BYTES_MAX: usize = 1_024;
/// Bytes of a password's random salt.
pub const SALT_BYTES: usize = 16;

/// What hashing a password costs: argon2id's memory (KiB), passes and lanes. The default is
/// OWASP's first recommendation for argon2id (19 MiB, 2 passes, 1 lane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for PasswordCost {
    fn default() -> PasswordCost {
        PasswordCost {
            memory_kib: Params::DEFAULT_M_COST,
            iterations: Params::DEFAULT_T_COST,
            parallelism: Params::DEFAULT_P_COST,
        }
    }
}

impl PasswordCost {
    /// The argon2id context for these parameters, or why they are out of argon2's range.
    pub(crate) fn hasher(self) -> Result<Argon2<'static>, String> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| format!("argon2 parameters {self:?}: {e}"))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashes `password` with `salt` into a PHC string.
pub(crate) fn hash(hasher: &Argon2<'_>, password: &[u8], salt: &[u8]) -> Result<String, String> {
    hasher
        .hash_password_with_salt(password, salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("hashing a password: {e}"))
}

/// Whether `password` is the one `phc` was made from (argon2 compares in constant time). A
/// string that is not a PHC hash matches nothing.
pub(crate) fn verify(hasher: &Argon2<'_>, password: &[u8], phc: &str) -> bool {
    hasher.verify_password(password, phc).is_ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_that_verify_only_their_password() {
        let cost = PasswordCost {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        };
        let h = cost.hasher().unwrap();
        let phc = hash(&h, b"correct horse battery", b"0123456789abcdef").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(verify(&h, b"correct horse battery", &phc));
        assert!(!verify(&h, b"correct horse batterY", &phc));
        assert!(!verify(&h, b"correct horse battery", "not a hash"));
        // The string's own parameters decide, not the verifier's.
        let other = PasswordCost::default().hasher().unwrap();
        assert!(verify(&other, b"correct horse battery", &phc));
        assert_eq!(
            PasswordCost::default(),
            PasswordCost {
                memory_kib: 19_456,
                iterations: 2,
                parallelism: 1
            }
        );
        assert!(
            PasswordCost {
                memory_kib: 1,
                iterations: 1,
                parallelism: 1
            }
            .hasher()
            .is_err()
        );
    }
}
